"""Triage on real tickets: decided on creation, recorded, routed, overridable, closed-set, and abstaining."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from deskpilot import intake
from deskpilot.accounts.principal import Principal
from deskpilot.audit import decisions
from deskpilot.audit.enums import DecisionKind, FeedbackAction
from deskpilot.config import Settings
from deskpilot.tickets.enums import Priority
from deskpilot.tickets.schemas import TicketCreate, TicketUpdate
from deskpilot.triage.engine import TriageEngine
from deskpilot.triage.pipeline import run_pipeline
from tests.factories import make_desk
from tests.triage.conftest import seed_categories

LAPTOP = ("laptop screen broken", "hi laptop screen cracked after fall need replacement hardware "
          "asap thanks, reach me at anna.keller@northwind.example or +49 30 5550 1234")


def test_new_ticket_is_triaged_recorded_and_routed(session: Session, triage_settings: Settings,
        triage_engine: TriageEngine) -> None:
    desk = make_desk(session)
    seed_categories(session, desk)
    ticket, outcome = intake.open_ticket(session, actor=Principal.of(desk.alice),
                                         data=TicketCreate(subject=LAPTOP[0], description=LAPTOP[1]),
                                         settings=triage_settings, triage=triage_engine)
    [decision] = decisions.for_subject(session, subject_type="ticket", subject_id=ticket.id, kind=DecisionKind.TRIAGE)
    assert decision.model_version.startswith("triage-category:v0001")
    assert "anna.keller@northwind.example" not in decision.input_redacted
    assert "[EMAIL]" in decision.input_redacted and "[PHONE]" in decision.input_redacted
    assert decision.outputs["priority"] == ticket.priority
    assert outcome.sla.policy is None and "No SLA policy" in outcome.sla.reason
    if outcome.result.abstained:
        assert ticket.category is None and ticket.queue_id == desk.service_desk.id
    else:
        assert ticket.category == outcome.result.category == "Hardware"
        assert ticket.queue_id == desk.service_desk.id


def test_agent_override_is_stored_as_feedback(session: Session, triage_settings: Settings,
        triage_engine: TriageEngine) -> None:
    desk = make_desk(session)
    seed_categories(session, desk)
    ticket, outcome = intake.open_ticket(session, actor=Principal.of(desk.alice),
                                         data=TicketCreate(subject=LAPTOP[0], description=LAPTOP[1]),
                                         settings=triage_settings, triage=triage_engine)
    lena = Principal.of(desk.lena)
    intake.update_ticket(session, actor=lena, ticket_id=ticket.id,
                         data=TicketUpdate(category="Purchasing", priority=Priority.P1))
    decision = intake.latest_triage(session, ticket_id=ticket.id)
    assert decision is not None
    by_field = {f.field: f for f in decision.feedback}
    assert by_field["category"].action is FeedbackAction.OVERRIDDEN
    assert by_field["category"].final_value == "Purchasing"
    expected = FeedbackAction.ACCEPTED if outcome.result.priority is Priority.P1 else FeedbackAction.OVERRIDDEN
    assert by_field["priority"].action is expected


def test_nonsense_and_out_of_scope_text_abstain(triage_engine: TriageEngine) -> None:
    model = triage_engine.models().category
    allowed = set(model.labels) if model else set()
    for text in ("asdf qwer zxcv", "what is the capital of peru", "🙂🙂🙂", ""):
        result = run_pipeline(subject="", body=text, classifier=model, allowed=allowed, abstain_below=0.45)
        assert result.abstained, text
        assert result.category in allowed | {None}


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=400)
       | st.text(alphabet=string.printable, min_size=1, max_size=2000))
def test_only_configured_categories_are_ever_output(text: str, triage_engine: TriageEngine) -> None:
    model = triage_engine.models().category
    assert model is not None
    allowed = {"Hardware", "Printing", "Files & Storage"}
    result = run_pipeline(subject="", body=text, classifier=model, allowed=allowed, abstain_below=0.45)
    assert result.category in allowed | {None}
    assert result.priority in set(Priority)
