"""The gate: replay a set through the current and a candidate in one run, and say whether the change may go live.

A candidate is a triage model version from the model store, a KB change set (the index with the pending
versions swapped in, `kb_changes`), and/or answer settings (abstention threshold, confident-above, rerank). The
change is refused when any label's accuracy (triage) or any expected article's deflection (answers) drops by
more than `Settings.replay_max_drop_points`, or a change to the answers brings their precision below
`Settings.replay_answer_precision_floor`. Every run is stored with its report, so the governance page,
`models promote` and the KB approval show exactly what was compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
from deskpilot.governance.replay_answers import AnswerCase, AnswerSetup, replay_answers
from deskpilot.governance.replay_triage import TriageCase, replay_triage
from deskpilot.ml.embeddings import Embedder
from deskpilot.ml.model_store import ModelStore
from deskpilot.ml.text_classifier import TextClassifier
from deskpilot.triage.engine import CATEGORY_COMPONENT, PRIORITY_COMPONENT, store

# The field of a triage case each model component predicts.
FIELD_OF = {CATEGORY_COMPONENT: "category", PRIORITY_COMPONENT: "priority"}
# The settings a candidate may change that decide the answers (the rest do not touch a replayed case).
ANSWER_SETTINGS = ("answer_abstain_below", "answer_confident_above", "answer_rerank")
KB_COMPONENT, SETTINGS_COMPONENT = "kb", "settings"


@dataclass(frozen=True)
class Candidate:
    """What would change: a model version of `component`, a KB change set (`kb_index`: the live index with the
    versions `kb_change` names swapped in), and/or answer settings (`settings`, keys of ANSWER_SETTINGS)."""

    component: str = CATEGORY_COMPONENT
    model_version: str | None = None
    answer_abstain_below: float | None = None
    kb_index: KbIndex | None = None
    kb_change: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)

    def answer_settings(self) -> dict[str, Any]:
        found = dict(self.settings)
        if self.answer_abstain_below is not None:
            found["answer_abstain_below"] = self.answer_abstain_below
        unknown = sorted(set(found) - set(ANSWER_SETTINGS))
        if unknown:
            raise InvalidInput(f"{', '.join(unknown)}: not an answer setting the gate replays; "
                               f"known: {', '.join(ANSWER_SETTINGS)}")
        return found

    def describe(self) -> str:
        parts = [f"{self.component} {self.model_version}"] if self.model_version else []
        if self.kb_change:
            parts.append("kb " + ", ".join(self.kb_change))
        parts += [f"{key} {value}" for key, value in sorted(self.answer_settings().items())]
        return ", ".join(parts) or "nothing"

    def run_component(self) -> str:
        if self.model_version is not None:
            return self.component
        return KB_COMPONENT if self.kb_index is not None else SETTINGS_COMPONENT


def _triage_cases(cases: list[ReplayCase], field: str) -> list[TriageCase]:
    return [TriageCase(c.id, c.source_ref, c.question, str(c.expected[field]))
            for c in cases if c.kind == CaseKind.TRIAGE and c.expected.get(field)]


def answer_cases(cases: list[ReplayCase]) -> list[AnswerCase]:
    return [AnswerCase(c.id, c.source_ref, c.question, c.expected.get("article") or None,
                       c.expected.get("answer") or None, c.expected.get("wrong_article") or None)
            for c in cases if c.kind == CaseKind.ANSWER]


def verdict(report: dict[str, Any], *, max_drop_points: float, precision_floor: float) -> list[str]:
    """The regressions that refuse the change, each as a sentence; empty when it may go live."""
    problems = []
    for label, row in (report.get("triage") or {}).get("by_label", {}).items():
        if -row["delta_points"] > max_drop_points:
            problems.append(f"{label}: accuracy {100 * row['current']['accuracy']:.1f}% → "
                            f"{100 * row['candidate']['accuracy']:.1f}% ({row['delta_points']:+.1f} points, "
                            f"more than {max_drop_points:g} down)")
    answers = report.get("answers")
    # Only a change to the answers is held to them: a triage model leaves every answer as it was.
    if not answers or not answers.get("candidate_changes") or not answers["cases"]:
        return problems
    for intent, row in answers["by_intent"].items():
        if -row["delta_points"] > max_drop_points:
            problems.append(f"answers for {intent}: deflection {100 * row['current']['deflection']:.1f}% → "
                            f"{100 * row['candidate']['deflection']:.1f}% ({row['delta_points']:+.1f} points, "
                            f"more than {max_drop_points:g} down)")
    if answers["candidate"]["precision"] < precision_floor:
        problems.append(f"answer precision {100 * answers['candidate']['precision']:.1f}% is below the floor "
                        f"of {100 * precision_floor:.1f}%")
    return problems


def _answer_setups(settings: Settings, index: KbIndex, candidate: Candidate) -> tuple[AnswerSetup, AnswerSetup]:
    current = {key: getattr(settings, key) for key in ANSWER_SETTINGS}
    proposed = {**current, **candidate.answer_settings()}
    return (AnswerSetup(index, current["answer_abstain_below"], current["answer_confident_above"],
                        current["answer_rerank"]),
            AnswerSetup(candidate.kb_index or index, proposed["answer_abstain_below"],
                        proposed["answer_confident_above"], proposed["answer_rerank"]))


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
    if candidate.kb_index is not None and index is None:
        raise InvalidInput("a KB change set is replayed against the live KB index; none was given")
    replay_set = replay_sets.get(session, version=set_version)
    models = store(settings, candidate.component, embedder)
    current_version = models.active_version()
    component = candidate.run_component()
    report: dict[str, Any] = {"set_version": replay_set.version, "component": component,
                              "candidate": candidate.describe(), "max_drop_points": settings.replay_max_drop_points,
                              "answer_precision_floor": settings.replay_answer_precision_floor}
    if candidate.model_version is not None:
        report["triage"] = _replay_model(replay_set, models, current_version, candidate.model_version,
                                         FIELD_OF[candidate.component], embedder)
    cases = answer_cases(replay_set.cases)
    if index is not None and cases:
        current, proposed = _answer_setups(settings, index, candidate)
        report["answers"] = replay_answers(cases, current=current, candidate=proposed)
    regressions = verdict(report, max_drop_points=settings.replay_max_drop_points,
                          precision_floor=settings.replay_answer_precision_floor)
    report["regressions"] = regressions
    replay_run = ReplayRun(set_id=replay_set.id, actor_name=actor.username, component=component,
                           current_version=current_version if candidate.model_version else "live",
                           candidate_version=(candidate.model_version or candidate.describe())[:40],
                           passed=not regressions, report=report)
    session.add(replay_run)
    session.flush()
    return replay_run


def recent_runs(session: Session, *, actor: Principal, limit: int = 10) -> list[ReplayRun]:
    """The newest runs first, for the governance page."""
    require(actor, Permission.AI_GOVERN)
    return list(session.scalars(select(ReplayRun).order_by(ReplayRun.id.desc()).limit(limit)))
