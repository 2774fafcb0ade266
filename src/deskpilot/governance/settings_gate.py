"""Settings changes through the replay gate: a candidate value of an answer setting is replayed before it is kept.

`gate_settings_change` is what a settings service calls before storing a change: it validates the candidate
values as `Settings` would, replays the answer cases of the newest replay set with the candidate values beside
the live ones (a stored replay run), and says whether the change may go live. A setting that does not decide
answers (see `gate.ANSWER_SETTINGS`) is not replayed and passes; so does any change while there is no replay set
with answer cases, as there is nothing to regress against.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.assist.index_store import KbIndex
from deskpilot.config import Settings
from deskpilot.errors import InvalidInput
from deskpilot.governance import gate, replay_sets
from deskpilot.governance.enums import CaseKind
from deskpilot.ml.embeddings import Embedder
from deskpilot.runtime import AiRuntime


@dataclass(frozen=True)
class GateReport:
    """The gate's answer on a settings change: `passed`, the regressions that refuse it, and the stored run
    (None when nothing was replayed, with `reason` saying why)."""

    passed: bool
    regressions: list[str] = field(default_factory=list)
    run_id: int | None = None
    report: dict[str, Any] = field(default_factory=dict)
    reason: str = ""

    @property
    def replayed(self) -> bool:
        return self.run_id is not None


def parse_overrides(text: str) -> dict[str, str]:
    """`key=value,key=value` (the CLI's `--candidate settings:...`) as a mapping; the values stay text."""
    found: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        key, sep, value = part.partition("=")
        if not part or not sep or not key.strip():
            raise InvalidInput(f"settings candidate {text!r}: expected key=value[,key=value...]")
        found[key.strip()] = value.strip()
    return found


def validated(settings: Settings, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The overrides as typed values, checked against the fields of `Settings`; InvalidInput names the bad one."""
    trial = settings.model_copy()
    for key, value in overrides.items():
        if key not in Settings.model_fields:
            raise InvalidInput(f"{key}: no such setting")
        empty = value is None or (isinstance(value, str) and not value.strip())
        try:
            Settings.__pydantic_validator__.validate_assignment(trial, key, None if empty else value)
        except ValidationError as exc:
            problem = exc.errors()[0]["msg"] if exc.errors() else str(exc)
            raise InvalidInput(f"{key}={value!r}: {problem}") from None
    return {key: getattr(trial, key) for key in overrides}


def gate_settings_change(session: Session, runtime: AiRuntime, candidate_overrides: Mapping[str, Any], *,
                         actor: Principal) -> GateReport:
    """Replay the answer cases with `candidate_overrides` (setting name → new value) against the live settings."""
    return gate_settings(session, actor=actor, settings=runtime.settings, embedder=runtime.embedder,
                         index=lambda: runtime.kb.current(session), candidate_overrides=candidate_overrides)


def gate_settings(session: Session, *, actor: Principal, settings: Settings, embedder: Embedder,
                  index: Callable[[], KbIndex], candidate_overrides: Mapping[str, Any]) -> GateReport:
    """`gate_settings_change` from the parts of a runtime; `index` is called only when there is a replay."""
    require(actor, Permission.AI_GOVERN)
    values = validated(settings, candidate_overrides)
    answering = {k: v for k, v in values.items() if k in gate.ANSWER_SETTINGS and v != getattr(settings, k)}
    if not answering:
        return GateReport(passed=True, reason="no setting that decides answers changes; nothing to replay")
    latest = replay_sets.latest(session)
    if latest is None or not any(c.kind == CaseKind.ANSWER for c in latest.cases):
        return GateReport(passed=True, reason="no replay set with answer cases yet; nothing to regress against")
    run = gate.run(session, actor=actor, settings=settings, embedder=embedder, index=index(),
                   candidate=gate.Candidate(settings=answering))
    return GateReport(passed=run.passed, regressions=list(run.report["regressions"]), run_id=run.id,
                      report=run.report)
