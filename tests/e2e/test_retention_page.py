"""An administrator sees what is past its retention period and removes it, in headless Chromium."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.clock import utcnow
from deskpilot.data_retention import EXPIRED_TEXT
from deskpilot.tickets.enums import TicketStatus
from deskpilot.tickets.models import Ticket
from tests.e2e.conftest import SignIn
from tests.factories import Desk, open_ticket


def test_an_admin_removes_closed_tickets_past_their_period(signed_in: SignIn, desk: Desk, session: Session,
                                                             artifacts_dir: Path) -> None:
    old = open_ticket(session, desk, desk.alice, description="ALICE-RETENTION-MARKER: the old dock")
    old.status, old.closed_at = TicketStatus.CLOSED, utcnow() - timedelta(days=800)
    recent = open_ticket(session, desk, desk.bob, description="BOB-RETENTION-MARKER: a new dock")
    session.commit()
    adam = signed_in("adam")
    adam.goto("/admin")
    adam.get_by_role("link", name="Retention").click()
    row = adam.locator("tr[data-kind=closed_tickets]")
    expect(row).to_contain_text("730 days")
    expect(row).to_contain_text("1 records")
    expect(adam.locator("#last-run")).to_have_text("Retention has not run yet.")
    adam.screenshot(path=str(artifacts_dir / "e2e-admin-retention.png"), full_page=True)
    adam.get_by_role("button", name="Remove what is past its period now").click()
    expect(adam.get_by_role("status")).to_contain_text("Retention ran: 1 records")
    expect(row).to_contain_text("0 records")
    expect(adam.locator("#last-run")).to_contain_text("by adam: 1 records")
    session.expire_all()
    assert session.scalar(select(Ticket.subject).where(Ticket.id == old.id)) == EXPIRED_TEXT
    assert "BOB-RETENTION-MARKER" in (session.scalar(select(Ticket.description).where(Ticket.id == recent.id)) or "")
