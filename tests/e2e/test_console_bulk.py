"""An agent ticks tickets in the console queue (select all, then the keyboard), assigns them to themself, resolves
and closes them, and merges duplicates; an auditor sees none of these controls."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy.orm import Session

from deskpilot.tickets.enums import MessageKind, TicketStatus
from deskpilot.tickets.models import Ticket
from tests.e2e.conftest import SignIn
from tests.factories import Desk, open_ticket


def test_agent_bulk_assigns_closes_and_merges_tickets(signed_in: SignIn, session: Session, desk: Desk,
                                                      artifacts_dir: Path) -> None:
    spam = [open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject=f"Newsletter {n}").id
            for n in range(2)]
    vpn = [open_ticket(session, desk, who, queue=desk.service_desk, subject=f"VPN down ({who.username})").id
           for who in (desk.alice, desk.bob, desk.alice)]
    session.commit()
    carol = signed_in("carol")
    carol.goto("/console?q=Newsletter")
    carol.get_by_label("Select all tickets shown").check()
    expect(carol.get_by_label(f"Select DP-{spam[0]}")).to_be_checked()
    carol.get_by_label("Assign to").select_option("me")
    carol.get_by_role("button", name="Assign selected").click()
    expect(carol.locator("#bulk-result")).to_contain_text("Assigned 2 tickets")

    carol.goto("/console?q=Newsletter")
    carol.get_by_label("Select all tickets shown").check()
    carol.get_by_label("Status", exact=True).last.select_option("resolved")
    carol.get_by_role("button", name="Set status").click()
    expect(carol.locator("#bulk-result")).to_contain_text("Status set on 2 tickets")
    carol.goto("/console?q=Newsletter")
    carol.get_by_label("Select all tickets shown").check()
    carol.get_by_label("Status", exact=True).last.select_option("closed")
    carol.get_by_role("button", name="Set status").click()
    expect(carol.locator("#bulk-result")).to_contain_text("Status set on 2 tickets")

    carol.goto("/console?q=VPN&sort=oldest")
    carol.locator("body").click()
    for _ in vpn:  # j moves to the next row, x ticks it: the keyboard shortcuts still work
        carol.keyboard.press("j")
        carol.keyboard.press("x")
    for ticket_id in vpn:
        expect(carol.get_by_label(f"Select DP-{ticket_id}")).to_be_checked()
    carol.get_by_role("button", name="Merge selected").click()
    expect(carol.locator("#bulk-result")).to_contain_text(
        f"Merged 2 tickets into DP-{vpn[0]}: DP-{vpn[1]}, DP-{vpn[2]}.")
    carol.screenshot(path=str(artifacts_dir / "console-bulk-merge.png"), full_page=True)

    carol.goto(f"/console/tickets/{vpn[0]}")
    expect(carol.locator(".thread")).to_contain_text(f"DP-{vpn[1]} (VPN down (bob)) was merged into this ticket")
    expect(carol.locator(".thread")).to_contain_text("Its requester: Bob <bob@northwind.example>")

    session.expire_all()
    assert [session.get(Ticket, i).status for i in spam] == [TicketStatus.CLOSED] * 2  # type: ignore[union-attr]
    kept, *duplicates = (session.get(Ticket, i) for i in vpn)
    assert kept is not None and kept.status is TicketStatus.NEW
    assert all(d is not None and d.merged_into_id == kept.id for d in duplicates)
    assert sum(m.kind is MessageKind.INTERNAL_NOTE for m in kept.messages) == 2

    audrey = signed_in("audrey")
    audrey.goto("/console")
    expect(audrey.get_by_role("link", name=f"DP-{vpn[0]}")).to_be_visible()
    expect(audrey.get_by_role("form", name="Bulk actions")).to_have_count(0)
    expect(audrey.locator('input[name="ticket_ids"]')).to_have_count(0)
