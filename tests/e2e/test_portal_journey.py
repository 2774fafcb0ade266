"""A requester's journey through the portal and an agent's view of it, in headless Chromium.

The requester's browser runs with JavaScript off: the portal must work with plain forms and redirects.
Screenshots for desktop and phone sizes go to test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from deskpilot.tickets import service as tickets
from deskpilot.tickets.schemas import TicketUpdate
from tests.e2e.conftest import DESKTOP, PHONE, SignIn
from tests.factories import SYSTEM, Desk

SUBJECT = "Laptop will not connect to the office Wi-Fi"


def _shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"e2e-{name}.png"), full_page=True)


def _open_request(page: Page, artifacts: Path, size: str) -> int:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New request").click()
    page.get_by_role("button", name="Send request").click()  # empty: the server explains what is missing
    expect(page.get_by_role("alert")).to_contain_text("Give your request a short subject")
    _shot(page, artifacts, f"new-request-errors-{size}")
    page.get_by_label("Subject").fill(SUBJECT)
    page.get_by_label("Description").fill("Since this morning the laptop sees the network but says "
                                          "'cannot connect'. Restarting did not help.")
    page.get_by_label("I cannot work at all").check()
    page.get_by_role("button", name="Send request").click()
    confirmation = page.get_by_role("status")
    expect(confirmation).to_contain_text("is with the service desk")
    expect(confirmation).to_contain_text("You can expect a first reply by")
    _shot(page, artifacts, f"ticket-created-{size}")
    return int(re.search(r"/tickets/(\d+)", page.url).group(1))  # type: ignore[union-attr]


def test_requester_opens_follows_and_answers_a_request_and_an_agent_sees_it(
        signed_in: SignIn, session: Session, desk: Desk, sla_24x7: None, artifacts_dir: Path) -> None:
    del sla_24x7
    alice = signed_in("alice", javascript=False)
    expect(alice.get_by_role("heading", name="My tickets")).to_be_visible()
    ticket_id = _open_request(alice, artifacts_dir, "desktop")

    alice.get_by_role("link", name="My tickets").click()
    card = alice.get_by_role("listitem").filter(has_text=SUBJECT)
    expect(card).to_contain_text(f"DP-{ticket_id}")
    # Triage decides the priority from the text too, so only the shape of the promise is fixed here.
    expect(card).to_contain_text(re.compile(r"(Critical|High|Normal|Low) \(P[1-4]\)"))
    expect(card).to_contain_text(re.compile(r"First reply expected in \d+ (minutes?|hours?)"))
    _shot(alice, artifacts_dir, "my-tickets-desktop")

    card.get_by_role("link").click()
    alice.get_by_label("Your message").fill("I am at my desk on floor 3 if you want to look at it.")
    alice.get_by_role("button", name="Send reply").click()
    expect(alice.locator("#thread")).to_contain_text("I am at my desk on floor 3")
    _shot(alice, artifacts_dir, "ticket-reply-desktop")

    # Put the request in carol's team queue, wherever triage routed it.
    tickets.update(session, actor=SYSTEM, ticket_id=ticket_id, data=TicketUpdate(queue_id=desk.service_desk.id))
    session.commit()
    carol = signed_in("carol")
    expect(carol.get_by_role("heading", name="Queue")).to_be_visible()
    row = carol.get_by_role("row").filter(has_text=SUBJECT)
    expect(row).to_contain_text(f"DP-{ticket_id}")
    _shot(carol, artifacts_dir, "queue-desktop")

    # With JavaScript on, htmx refreshes the conversation in place when the requester writes again.
    row.get_by_role("link", name=f"DP-{ticket_id}").click()
    alice.get_by_label("Your message").fill("Update: it works on the guest network.")
    alice.get_by_role("button", name="Send reply").click()
    carol.evaluate(f"htmx.ajax('GET', '/tickets/{ticket_id}/thread', {{target: '#thread', swap: 'outerHTML'}})")
    expect(carol.locator("#thread")).to_contain_text("it works on the guest network")
    _shot(carol, artifacts_dir, "ticket-agent-desktop")


def test_the_portal_fits_a_phone_and_keyboard_users_can_skip_to_content(
        signed_in: SignIn, session: Session, desk: Desk, sla_24x7: None, artifacts_dir: Path) -> None:
    del sla_24x7
    alice = signed_in("alice", viewport=PHONE)
    alice.keyboard.press("Tab")
    expect(alice.get_by_role("link", name="Skip to main content")).to_be_focused()
    ticket_id = _open_request(alice, artifacts_dir, "phone")
    alice.get_by_role("link", name="My tickets").click()
    _shot(alice, artifacts_dir, "my-tickets-phone")
    width = alice.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width}px wide)"
    alice.get_by_role("link", name="Talk to a human").click()
    expect(alice.get_by_role("heading", name="Talk to a human")).to_be_visible()
    _shot(alice, artifacts_dir, "talk-to-a-human-phone")
    tickets.update(session, actor=SYSTEM, ticket_id=ticket_id, data=TicketUpdate(queue_id=desk.service_desk.id))
    session.commit()
    carol = signed_in("carol", viewport=PHONE)
    expect(carol.get_by_role("row").filter(has_text=SUBJECT)).to_be_visible()
    _shot(carol, artifacts_dir, "queue-phone")


def test_sign_in_problems_are_announced_on_desktop_and_phone(chromium: Browser, live_server: str,
                                                             desk: Desk, artifacts_dir: Path) -> None:
    del desk
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = chromium.new_context(base_url=live_server, viewport=viewport)
        page = context.new_page()
        page.goto("/tickets")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("not her password")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("Unknown username or wrong password.")
        expect(page.get_by_label("Username")).to_have_value("alice")
        _shot(page, artifacts_dir, f"sign-in-error-{size}")
        context.close()
