"""The gate: replay a set through the current and a candidate in one run, and say whether the change may go live.

A candidate is a triage model version from the model store and/or a retrieval setting (the answer abstention
threshold). The change is refused when any label's accuracy drops by more than
`Settings.replay_max_drop_points`, or the candidate's answer precision falls below
`Settings.replay_answer_precision_floor`. Every run is stored with its report, so the governance page and
`models promote` show exactly what was compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.assist.index_store import KbIndex
from deskpilot.config import Settings
from deskpilot.errors import InvalidInput
from deskpilot.governance import replay_sets
from deskpilot.governance.enums import CaseKind
from deskpilot.governance.models import ReplayCase, ReplayRun, ReplaySet
from deskpilot.governance.replay_answers import AnswerCase, replay_answers
from deskpilot.governance.replay_triage import TriageCase, replay_triage
from deskpilot.ml.embeddings import Embedder
from deskpilot.ml.model_store import ModelStore
from deskpilot.ml.text_classifier import TextClassifier
from deskpilot.triage.engine import CATEGORY_COMPONENT, PRIORITY_COMPONENT, store

# The field of a triage case each model component predicts.
FIELD_OF = {CATEGORY_COMPONENT: "category", PRIORITY_COMPONENT: "priority"}


@dataclass(frozen=True)
class Candidate:
    """What would change: a model version of `component`, and/or the answer abstention threshold."""

    component: str = CATEGORY_COMPONENT
    model_version: str | None = None
    answer_abstain_below: float | None = None

    def describe(self) -> str:
        parts = [f"{self.component} {self.model_version}"] if self.model_version else []
        if self.answer_abstain_below is not None:
            parts.append(f"answer_abstain_below {self.answer_abstain_below}")
        return ", ".join(parts) or "nothing"


def _triage_cases(cases: list[ReplayCase], field: str) -> list[TriageCase]:
    return [TriageCase(c.id, c.source_ref, c.question, str(c.expected[field]))
            for c in cases if c.kind == CaseKind.TRIAGE and c.expected.get(field)]


def _answer_cases(cases: list[ReplayCase]) -> list[AnswerCase]:
    return [AnswerCase(c.id, c.source_ref, c.question, c.expected.get("article") or None,
                       c.expected.get("answer") or None) for c in cases if c.kind == CaseKind.ANSWER]


def verdict(report: dict[str, Any], *, max_drop_points: float, precision_floor: float) -> list[str]:
    """The regressions that refuse the change, each as a sentence; empty when it may go live."""
    problems = []
    for label, row in (report.get("triage") or {}).get("by_label", {}).items():
        if -row["delta_points"] > max_drop_points:
            problems.append(f"{label}: accuracy {100 * row['current']['accuracy']:.1f}% → "
                            f"{100 * row['candidate']['accuracy']:.1f}% ({row['delta_points']:+.1f} points, "
                            f"more than {max_drop_points:g} down)")
    answers = report.get("answers")
    # Only a change to the answers is held to the floor: a triage model leaves every answer as it was.
    changes_answers = answers and answers["candidate"]["abstain_below"] != answers["current"]["abstain_below"]
    if answers and changes_answers and answers["cases"] and answers["candidate"]["precision"] < precision_floor:
        problems.append(f"answer precision {100 * answers['candidate']['precision']:.1f}% is below the floor "
                        f"of {100 * precision_floor:.1f}%")
    return problems


def _replay_model(replay_set: ReplaySet, models: ModelStore[TextClassifier], current_version: str | None,
                  candidate_version: str, field: str, embedder: Embedder) -> dict[str, Any]:
    cases = _triage_cases(replay_set.cases, field)
    if not cases:
        raise InvalidInput(f"replay set v{replay_set.version} has no triage cases with a {field}; run "
                           "`deskpilot replay build` after tickets resolve")
    current = models.load_version(current_version) if current_version else None
    proposed = models.load_version(candidate_version)
    # Embed once for both, and not at all when neither model uses sentence vectors.
    embeds = any(m is not None and m.config.embeddings for m in (current, proposed))
    return replay_triage(cases, current=current, candidate=proposed, embedder=embedder if embeds else None)


def run(session: Session, *, actor: Principal, settings: Settings, embedder: Embedder, candidate: Candidate,
        index: KbIndex | None = None, set_version: int | None = None) -> ReplayRun:
    """Replay the set (the newest unless `set_version`) through the current and the candidate; store the run.

    `index` is the current KB index; without it the answer cases are not replayed.
    """
    require(actor, Permission.AI_GOVERN)
    if candidate.component not in FIELD_OF:
        raise InvalidInput(f"unknown component {candidate.component!r}; known: {', '.join(FIELD_OF)}")
    replay_set = replay_sets.get(session, version=set_version)
    models = store(settings, candidate.component, embedder)
    current_version = models.active_version()
    report: dict[str, Any] = {"set_version": replay_set.version, "component": candidate.component,
                              "candidate": candidate.describe(), "max_drop_points": settings.replay_max_drop_points,
                              "answer_precision_floor": settings.replay_answer_precision_floor}
    if candidate.model_version is not None:
        report["triage"] = _replay_model(replay_set, models, current_version, candidate.model_version,
                                         FIELD_OF[candidate.component], embedder)
    answer_cases = _answer_cases(replay_set.cases)
    if index is not None and answer_cases:
        threshold = settings.answer_abstain_below
        report["answers"] = replay_answers(answer_cases, index=index, current_abstain_below=threshold,
                                           candidate_abstain_below=candidate.answer_abstain_below
                                           if candidate.answer_abstain_below is not None else threshold)
    regressions = verdict(report, max_drop_points=settings.replay_max_drop_points,
                          precision_floor=settings.replay_answer_precision_floor)
    report["regressions"] = regressions
    replay_run = ReplayRun(set_id=replay_set.id, actor_name=actor.username, component=candidate.component,
                           current_version=current_version, candidate_version=candidate.model_version or "-",
                           passed=not regressions, report=report)
    session.add(replay_run)
    session.flush()
    return replay_run


def recent_runs(session: Session, *, actor: Principal, limit: int = 10) -> list[ReplayRun]:
    """The newest runs first, for the governance page."""
    require(actor, Permission.AI_GOVERN)
    return list(session.scalars(select(ReplayRun).order_by(ReplayRun.id.desc()).limit(limit)))
