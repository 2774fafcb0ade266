"""An agent opens a ticket kept in step with Zendesk in headless Chromium and sees where it is linked and the value
the sync did not keep: both sides changed the priority, and Zendesk, the system of record, won."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import Priority
from deskpilot.tickets.schemas import TicketUpdate
from tests.connectors.desks import zendesk_desk
from tests.connectors.sync_desk import SyncedDesk, linked_ticket
from tests.e2e.conftest import SignIn
from tests.factories import Desk


def test_an_agent_sees_the_sync_link_and_the_value_it_did_not_keep(signed_in: SignIn, session: Session,
                                                                   engine: Engine, desk: Desk, tmp_path: Path) -> None:
    with zendesk_desk(tickets=2, articles=0) as vendor:
        zd = vendor.state
        requester = next(u for u, raw in zd.users.items() if raw["role"] == "end-user" and raw["email"])
        made = zd.add_ticket(subject="Printer shows paper jam", body="Tray 2.", requester_id=requester)
        synced = SyncedDesk(engine, vendor.connector(), tmp_path)
        synced.sync()
        ticket_id = linked_ticket(session, "zendesk", made).id
        tickets.update(session, actor=Principal.of(desk.lena), ticket_id=ticket_id,
                       data=TicketUpdate(priority=Priority.P1))
        session.commit()
        zd.change(made, {"priority": "low"})
        synced.sync()

    lena = signed_in("lena")
    lena.goto(f"/console/tickets/{ticket_id}")
    panel = lena.get_by_role("region", name="Kept in step with zendesk")
    expect(panel.get_by_role("link", name=f"#{made}")).to_be_visible()
    row = panel.get_by_role("row").filter(has_text="priority")
    expect(row).to_contain_text("P4")
    expect(row).to_contain_text("P1 (from deskpilot)")
    expect(row).to_contain_text("both sides changed it; zendesk owns priority")
