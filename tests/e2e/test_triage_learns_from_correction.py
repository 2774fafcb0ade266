"""A desk on its first day: a requester's request is triaged from the taxonomy, an agent corrects the category in
the console, and the next similar request (from another requester) is routed to the corrected category."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.tickets.models import Ticket
from deskpilot.triage import categories
from deskpilot.triage.taxonomy_schemas import CategoryCreate
from tests.e2e.conftest import SignIn
from tests.factories import SYSTEM, Desk

TAXONOMY = {
    "Hardware": ("Laptops, monitors and docking stations that are broken.", ["My laptop screen is cracked"]),
    "E-mail & Collaboration": ("Outlook, Teams calls and meeting rooms.", ["Nobody can hear me in Teams"]),
    "Network & VPN": ("VPN, Wi-Fi and the office network.", ["The VPN will not connect"]),
    "Printing": ("Printers, toner and scanning.", ["The printer shows a paper jam"]),
}


def _send_request(page: Page, subject: str, description: str) -> None:
    page.goto("/tickets/new")
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Description").fill(description)
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", name=subject)).to_be_visible()


def _latest_ticket(session: Session) -> Ticket:
    session.rollback()
    ticket = session.scalars(select(Ticket).order_by(Ticket.id.desc()).limit(1)).one()
    session.refresh(ticket)
    return ticket


def test_an_agents_category_correction_routes_the_next_similar_request(signed_in: SignIn, session: Session,
                                                                       desk: Desk, artifacts_dir: Path) -> None:
    for name, (description, examples) in TAXONOMY.items():
        categories.create(session, actor=SYSTEM, data=CategoryCreate(
            name=name, description=description, examples=examples, default_queue_id=desk.service_desk.id))
    session.commit()
    _send_request(signed_in("alice"), "Projector shows no picture",
                  "The projector in meeting room Elbe shows no picture from my laptop")
    first = _latest_ticket(session)
    corrected = "Hardware" if first.category != "Hardware" else "Printing"

    agent = signed_in("carol")
    agent.goto(f"/console/tickets/{first.id}")
    details = agent.get_by_role("region", name="Details")
    details.get_by_label("Category").fill(corrected)
    details.get_by_role("button", name="Save details").click()
    expect(agent.get_by_text(f"category {corrected}")).to_be_visible()

    _send_request(signed_in("bob"), "Projector: no picture", "Projector in meeting room Elbe shows no picture")
    second = _latest_ticket(session)
    assert second.id != first.id and second.category == corrected
    agent.goto(f"/console/tickets/{second.id}")
    expect(agent.get_by_text(f"category {corrected}")).to_be_visible()
    expect(agent.get_by_text("like the request corrected by an agent")).to_be_visible()
    agent.screenshot(path=str(artifacts_dir / "triage-learns-from-correction.png"), full_page=True)
