"""The chat reads what is asked, in headless Chromium: a status question lists the requester's own ticket,
"real agent please" hands off at once, and a lead lifts the requester's hourly limit on its page.

Screenshots go to test-artifacts/ (e2e-intents-*.png) for a person to look at.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy.orm import Session

from tests.e2e.conftest import SignIn
from tests.e2e.test_chat_journeys import _ask
from tests.factories import Desk, open_ticket


def test_a_status_question_lists_my_ticket_and_real_agent_please_hands_off_then_a_lead_lifts_my_limit(
        signed_in: SignIn, session: Session, desk: Desk, sla_24x7: None, artifacts_dir: Path) -> None:
    del sla_24x7
    mine = open_ticket(session, desk, desk.alice, subject="Laptop screen flickers")
    open_ticket(session, desk, desk.bob, subject="Bob's secret project")
    session.commit()
    alice = signed_in("alice", javascript=False)
    _ask(alice, "what's the status of my incident?")
    reply = alice.locator(".from-assistant").last
    expect(reply).to_contain_text(f"DP-{mine.id}")
    expect(reply).to_contain_text("Laptop screen flickers")
    expect(alice.locator("#chat-transcript")).not_to_contain_text("secret project")
    alice.get_by_label("Your message", exact=True).fill("real agent please")
    alice.get_by_role("button", name="Send", exact=True).click()
    expect(alice.locator(".from-system").last).to_contain_text("You asked for a person")
    alice.screenshot(path=str(artifacts_dir / "e2e-intents-status-and-handoff.png"), full_page=True)

    lena = signed_in("lena", javascript=False)
    lena.get_by_role("navigation", name="Main").get_by_role("link", name="Requester limits").click()
    row = lena.get_by_role("row").filter(has_text=desk.alice.full_name)
    row.get_by_label("Reason").fill("Moving her team to new laptops today")
    row.get_by_role("button", name=f"Lift the limit for {desk.alice.full_name}").click()
    expect(lena.get_by_role("row").filter(has_text=desk.alice.full_name)).to_contain_text("Lifted until")
