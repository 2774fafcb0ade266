"""An agent works a ticket with the AI panel; a lead reads the KPI dashboard and exports a CSV."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.audit import decisions
from deskpilot.audit.decisions_models import AiFeedback
from deskpilot.audit.enums import DecisionKind, FeedbackAction
from deskpilot.tickets.models import Ticket, TicketMessage
from tests.e2e.conftest import SignIn
from tests.factories import Desk, open_ticket


def _triaged_ticket(session: Session, desk: Desk) -> Ticket:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    ticket.description = "My laptop screen flickers and then goes black. It started after the docking station update."
    decisions.record_decision(session, kind=DecisionKind.TRIAGE, model_version="triage-category:v0001+p:none",
                              input_redacted=ticket.description, confidence=0.82, abstained=False,
                              outputs={"category": "Hardware", "queue_id": desk.service_desk.id, "priority": "P3"},
                              subject_type="ticket", subject_id=ticket.id)
    session.commit()
    return ticket


def test_agent_accepts_a_category_edits_the_ai_draft_and_sends_it(signed_in: SignIn, session: Session, desk: Desk,
                                                                  sla_24x7: None, artifacts_dir: Path) -> None:
    del sla_24x7
    ticket = _triaged_ticket(session, desk)
    page = signed_in("carol")
    page.goto("/console")
    expect(page.get_by_role("heading", name="Agent console")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "console-queue.png"), full_page=True)
    page.get_by_role("link", name=f"DP-{ticket.id}").click()
    panel = page.get_by_role("complementary", name="AI assistant")
    expect(panel.get_by_text("Confidence 82 %")).to_be_visible()
    panel.get_by_role("button", name="Accept category").click()
    expect(page.get_by_text("category Hardware")).to_be_visible()
    page.get_by_role("button", name="Draft a reply with AI").click()
    reply = page.get_by_label("Reply", exact=True)
    expect(reply).not_to_have_value("")
    reply.fill("Hello Alice,\n\nPlease unplug the dock, restart and tell me if the screen still flickers.")
    page.screenshot(path=str(artifacts_dir / "console-ticket-draft.png"), full_page=True)
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("AI-assisted", exact=True)).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "console-ticket-sent.png"), full_page=True)

    session.expire_all()
    assert session.get(Ticket, ticket.id).category == "Hardware"  # type: ignore[union-attr]
    sent = session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id,
                                                       TicketMessage.author_id == desk.carol.id)).one()
    assert sent.ai_assisted and sent.body.startswith("Hello Alice")
    actions = {(f.field, f.action) for f in session.scalars(select(AiFeedback))}
    assert actions == {("category", FeedbackAction.ACCEPTED), ("reply", FeedbackAction.EDITED)}


def test_lead_opens_the_dashboard_and_exports_csv(signed_in: SignIn, session: Session, desk: Desk,
                                                  artifacts_dir: Path) -> None:
    for _ in range(3):
        open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    open_ticket(session, desk, desk.bob, queue=desk.network)
    session.commit()
    page = signed_in("lena")
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="KPI dashboard")).to_be_visible()
    expect(page.get_by_role("img", name="Tickets created per day")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "dashboard.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV of queues").click()
    path = download.value.path()
    text = Path(str(path)).read_text(encoding="utf-8")
    assert text.splitlines()[0] == "queue,created,resolved,sla_breached,open"
    assert "Service Desk L1,3,0,0,3" in text


def test_agents_do_not_see_the_dashboard(signed_in: SignIn) -> None:
    page = signed_in("carol")
    expect(page.get_by_role("link", name="Dashboard")).to_have_count(0)
    assert page.goto("/dashboard").status == 403  # type: ignore[union-attr]
