"""An agent filters the console with every drop-down on its default, opens a ticket and changes its priority and
queue inline; overriding the AI's suggestion is recorded as feedback."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.audit import decisions
from deskpilot.audit.decisions_models import AiFeedback
from deskpilot.audit.enums import DecisionKind, FeedbackAction
from deskpilot.tickets.models import Ticket
from tests.e2e.conftest import SignIn
from tests.factories import Desk, make_queue, open_ticket


def test_agent_filters_with_defaults_and_changes_priority_and_queue_inline(signed_in: SignIn, session: Session,
                                                                           desk: Desk, artifacts_dir: Path) -> None:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject="Printer on floor 3 jams")
    decisions.record_decision(session, kind=DecisionKind.TRIAGE, model_version="triage/test",
                              input_redacted=ticket.subject, confidence=0.7, abstained=False,
                              outputs={"category": "Hardware", "queue_id": desk.service_desk.id, "priority": "P3"},
                              subject_type="ticket", subject_id=ticket.id)
    second_line = make_queue(session, "Service Desk L2", desk.carol.teams[0])
    session.commit()
    page = signed_in("carol")
    page.goto("/console")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(f"{page.url.split('/console')[0]}/console?q=&status=&queue=&priority=&sort=due")
    expect(page.get_by_role("heading", name="Agent console")).to_be_visible()
    page.get_by_role("link", name=f"DP-{ticket.id}").click()
    expect(page.get_by_role("heading", name="Requester", exact=True)).to_be_visible()
    expect(page.get_by_text("alice@northwind.example")).to_be_visible()
    details = page.get_by_role("region", name="Details")
    details.get_by_label("Priority").select_option("P1")
    details.get_by_label("Queue").select_option(label="Service Desk L2")
    details.get_by_role("button", name="Save details").click()
    expect(details.get_by_label("Priority")).to_have_value("P1")
    expect(details.get_by_label("Queue")).to_have_value(str(second_line.id))
    expect(page.locator(".page-head")).to_contain_text("(P1)")
    page.screenshot(path=str(artifacts_dir / "console-inline-edit.png"), full_page=True)

    session.expire_all()
    changed = session.get(Ticket, ticket.id)
    assert changed is not None and (changed.priority, changed.queue_id) == ("P1", second_line.id)
    feedback = {(f.field, f.action, f.final_value) for f in session.scalars(select(AiFeedback))}
    assert feedback == {("priority", FeedbackAction.OVERRIDDEN, "P1"),
                        ("queue", FeedbackAction.OVERRIDDEN, str(second_line.id))}
