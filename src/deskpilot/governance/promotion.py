"""Promoting a triage model version only through the replay gate, and rolling back, both audited.

A version that makes any category worse by more than the threshold is refused; a lead may still promote it
by giving a reason, which the audit log keeps beside the replay run that warned against it. The first
version of a component has nothing to regress against and is promoted without a replay.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.assist.index_store import KbIndex
from deskpilot.audit import service as audit
from deskpilot.config import Settings
from deskpilot.errors import Conflict
from deskpilot.governance import gate
from deskpilot.governance.models import ReplayRun
from deskpilot.ml.embeddings import Embedder
from deskpilot.triage.engine import store


@dataclass(frozen=True)
class Promotion:
    component: str
    previous: str | None
    version: str
    replay: ReplayRun | None
    override_reason: str | None


def promote(session: Session, *, actor: Principal, settings: Settings, embedder: Embedder, component: str,
            version: str, override_reason: str | None = None, index: KbIndex | None = None) -> Promotion:
    """Make `version` active if the replay gate lets it through, or if a reason overrides the gate."""
    require(actor, Permission.AI_GOVERN)
    models = store(settings, component, embedder)
    models.load_version(version)  # an unknown or unloadable version is refused before anything is recorded
    previous = models.active_version()
    reason = (override_reason or "").strip() or None
    replay = None
    if previous is not None and previous != version:
        replay = gate.run(session, actor=actor, settings=settings, embedder=embedder, index=index,
                          candidate=gate.Candidate(component=component, model_version=version))
        if not replay.passed and reason is None:
            audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="model.promote_refused",
                         subject_type="model", subject_id=f"{component}:{version}",
                         after={"active": previous, "replay_run": replay.id,
                                "regressions": replay.report["regressions"]})
            raise Conflict(f"{component} {version} was not promoted: the replay gate (run {replay.id}, replay set "
                           f"v{replay.report['set_version']}) found regressions against {previous}: "
                           + "; ".join(replay.report["regressions"])
                           + ". Fix the model, or promote anyway with an override reason.", recorded=True)
    models.promote(version)
    overridden = replay is not None and not replay.passed
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username,
                 action="model.promoted_with_override" if overridden else "model.promoted",
                 subject_type="model", subject_id=f"{component}:{version}",
                 before={"active": previous},
                 after={"active": version, "replay_run": replay.id if replay else None, "override_reason": reason,
                        "regressions": replay.report["regressions"] if replay else []})
    return Promotion(component, previous, version, replay, reason)


def rollback(session: Session, *, actor: Principal, settings: Settings, component: str) -> str:
    """Re-activate the version that was active before the current one; audited."""
    require(actor, Permission.AI_GOVERN)
    models = store(settings, component)
    previous = models.active_version()
    version = models.rollback()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="model.rolled_back",
                 subject_type="model", subject_id=f"{component}:{version}",
                 before={"active": previous}, after={"active": version})
    return version
