"""The replay gate in front of `models promote`: a model worse on one category is refused, a lead's reason
overrides the gate (audited), and a rollback restores the previous model's answers."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts.enums import Role
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.config import Settings
from deskpilot.errors import Conflict, NotFound, PermissionDenied
from deskpilot.governance import gate, promotion, replay_sets
from deskpilot.ml.embeddings import Embedder
from deskpilot.runtime import AiRuntime
from deskpilot.tickets.models import Ticket
from deskpilot.triage.engine import CATEGORY_COMPONENT, TriageEngine, store
from deskpilot.triage.similar import ticket_text
from tests.factories import make_user
from tests.governance.conftest import DEGRADED, resolved_history


def _lead_with_replay_set(session: Session) -> tuple[Principal, list[Ticket]]:
    lead = Principal.of(make_user(session, "lena", Role.LEAD))
    tickets = resolved_history(session)
    replay_sets.build(session, actor=lead)
    session.commit()
    return lead, tickets


def _answers(settings: Settings, embedder: Embedder, tickets: list[Ticket]) -> list[str]:
    model = TriageEngine(settings, embedder).models().category
    assert model is not None
    return [p.label for p in model.predict([ticket_text(t.subject, t.description) for t in tickets])]


def test_a_model_worse_on_one_category_is_refused_and_the_refusal_is_audited(
        session: Session, model_settings: Settings, ai_runtime: AiRuntime) -> None:
    lead, _ = _lead_with_replay_set(session)

    with pytest.raises(Conflict, match=f"{DEGRADED}: accuracy 100.0% → 0.0%") as refused:
        promotion.promote(session, actor=lead, settings=model_settings, embedder=ai_runtime.embedder,
                          component=CATEGORY_COMPONENT, version="v0002")
    assert refused.value.recorded  # the unit of work keeps the run and the audit event
    session.commit()

    assert store(model_settings, CATEGORY_COMPONENT).active_version() == "v0001"
    events, _ = audit.get_all(session, action="model.promote_refused")
    assert events[0].actor_name == "lena" and events[0].subject_id == f"{CATEGORY_COMPONENT}:v0002"
    runs = gate.recent_runs(session, actor=lead)
    assert [r.passed for r in runs] == [False]
    by_label = runs[0].report["triage"]["by_label"]
    assert by_label[DEGRADED]["delta_points"] == -100.0
    assert all(row["delta_points"] >= -2.0 for label, row in by_label.items() if label != DEGRADED)
    changed = runs[0].report["triage"]["changed"]
    assert changed and {c["expected"] for c in changed} == {DEGRADED}


def test_a_leads_reason_overrides_the_gate_and_rollback_restores_the_previous_answers(
        session: Session, model_settings: Settings, ai_runtime: AiRuntime) -> None:
    lead, tickets = _lead_with_replay_set(session)
    before = _answers(model_settings, ai_runtime.embedder, tickets)

    done = promotion.promote(session, actor=lead, settings=model_settings, embedder=ai_runtime.embedder,
                             component=CATEGORY_COMPONENT, version="v0002",
                             override_reason="Access moves to the new IAM portal next week")
    session.commit()
    assert done.replay is not None and not done.replay.passed
    promoted, _ = audit.get_all(session, action="model.promoted_with_override")
    assert promoted[0].after["override_reason"] == "Access moves to the new IAM portal next week"
    assert promoted[0].after["replay_run"] == done.replay.id and promoted[0].before == {"active": "v0001"}
    during = _answers(model_settings, ai_runtime.embedder, tickets)
    assert DEGRADED not in during and during != before

    assert promotion.rollback(session, actor=lead, settings=model_settings, component=CATEGORY_COMPONENT) == "v0001"
    session.commit()
    assert _answers(model_settings, ai_runtime.embedder, tickets) == before
    rolled, _ = audit.get_all(session, action="model.rolled_back")
    assert rolled[0].before == {"active": "v0002"} and rolled[0].after == {"active": "v0001"}


def test_an_equally_good_model_passes_the_gate(session: Session, model_settings: Settings,
                                               ai_runtime: AiRuntime) -> None:
    lead, _ = _lead_with_replay_set(session)
    models = store(model_settings, CATEGORY_COMPONENT)
    same = models.save_version(models.load_version("v0001"))

    done = promotion.promote(session, actor=lead, settings=model_settings, embedder=ai_runtime.embedder,
                             component=CATEGORY_COMPONENT, version=same)
    assert done.replay is not None and done.replay.passed and models.active_version() == same
    assert done.replay.report["triage"]["changed"] == []


def test_a_promotion_without_a_replay_set_is_refused_with_what_to_do(
        session: Session, model_settings: Settings, ai_runtime: AiRuntime) -> None:
    lead = Principal.of(make_user(session, "lena", Role.LEAD))
    with pytest.raises(NotFound, match="deskpilot replay build"):
        promotion.promote(session, actor=lead, settings=model_settings, embedder=ai_runtime.embedder,
                          component=CATEGORY_COMPONENT, version="v0002")


def test_agents_may_not_promote_models(session: Session, model_settings: Settings, ai_runtime: AiRuntime) -> None:
    agent = Principal.of(make_user(session, "carol", Role.AGENT))
    with pytest.raises(PermissionDenied):
        promotion.promote(session, actor=agent, settings=model_settings, embedder=ai_runtime.embedder,
                          component=CATEGORY_COMPONENT, version="v0002")
