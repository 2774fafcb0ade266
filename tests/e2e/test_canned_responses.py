"""An administrator creates a canned response in headless Chromium; an agent inserts it into a reply on a ticket
(htmx fills the reply box after what they typed, placeholders filled in) and sends it."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy.orm import Session

from tests.e2e.conftest import SignIn
from tests.factories import Desk, open_ticket


def test_admin_creates_a_canned_response_and_an_agent_inserts_it_into_a_reply(
        signed_in: SignIn, session: Session, desk: Desk, artifacts_dir: Path) -> None:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject="Mailbox is full").id
    session.commit()
    adam = signed_in("adam")
    adam.get_by_role("navigation", name="Main").get_by_role("link", name="Canned responses").click()
    adam.get_by_label("Title").fill("Mailbox quota")
    adam.get_by_label("Offered in").select_option(label="Service Desk L1 only")
    adam.get_by_label("Text").fill("Hello {{requester.first_name}},\nyour mailbox ({{ticket.ref}}) was enlarged."
                                   "\n{{agent.nam}}")
    adam.get_by_role("button", name="Create canned response").click()
    expect(adam.get_by_role("alert")).to_contain_text("Unknown placeholder {{agent.nam}}")
    adam.get_by_label("Text").fill("Hello {{requester.first_name}},\nyour mailbox ({{ticket.ref}}) was enlarged."
                                   "\n{{agent.name}}")
    adam.get_by_role("button", name="Create canned response").click()
    expect(adam.get_by_role("status")).to_contain_text("The canned response was created")
    expect(adam.get_by_role("row", name="Mailbox quota")).to_contain_text("Service Desk L1")
    adam.screenshot(path=str(artifacts_dir / "admin-canned-responses.png"), full_page=True)

    carol = signed_in("carol")
    carol.goto(f"/console/tickets/{ticket}")
    carol.get_by_label("Reply", exact=True).fill("Thanks for waiting.")
    carol.get_by_role("heading", level=1).click()
    carol.keyboard.press("c")  # the shortcut focuses the canned-response picker
    expect(carol.get_by_label("Canned response")).to_be_focused()
    carol.get_by_label("Canned response").select_option(label="Mailbox quota")
    carol.get_by_role("button", name="Insert into the reply").click()
    reply = carol.get_by_label("Reply", exact=True)
    expect(reply).to_have_value(f"Thanks for waiting.\n\nHello Alice,\nyour mailbox (DP-{ticket}) was enlarged.\nCarol")
    expect(carol).to_have_url(f"{carol.url.split('/console')[0]}/console/tickets/{ticket}")
    carol.screenshot(path=str(artifacts_dir / "console-canned-inserted.png"), full_page=True)
    carol.get_by_role("button", name="Send reply").click()
    expect(carol.locator(".thread")).to_contain_text(f"your mailbox (DP-{ticket}) was enlarged.")
