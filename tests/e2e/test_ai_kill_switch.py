"""An admin switches the chat's AI answers off on the governance page in headless Chromium; the requester's next
question is then handed to the service desk instead of answered, and the dashboard's banner says who did it."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy.orm import Session

from tests.conversations.conftest import load_chat_kb
from tests.e2e.conftest import SignIn
from tests.e2e.test_chat_journeys import ARTICLES, VPN_QUESTION
from tests.factories import Desk


def test_an_admin_flips_the_chat_kill_switch_and_the_chat_hands_over(
        signed_in: SignIn, session: Session, desk: Desk, sla_24x7: None, artifacts_dir: Path) -> None:
    del sla_24x7, desk
    load_chat_kb(session, ARTICLES)
    session.commit()
    adam = signed_in("adam")
    adam.get_by_role("navigation", name="Main").get_by_role("link", name="AI switches").click()
    expect(adam.get_by_text("No switch is set")).to_be_visible()
    adam.get_by_label("Capability").select_option("chat_deflection")
    adam.get_by_label("Mode").select_option("off")
    adam.get_by_label("Where").fill("channel:chat")
    adam.get_by_label("Reason").fill("VPN answers cite the retired client")
    adam.get_by_role("button", name="Apply").click()
    expect(adam.get_by_text("chat deflection is off (channel chat): set by adam")).to_be_visible()
    adam.screenshot(path=str(artifacts_dir / "e2e-ai-switches.png"), full_page=True)

    alice = signed_in("alice", javascript=False)
    alice.get_by_role("navigation", name="Main").get_by_role("link", name="Ask the assistant").click()
    alice.get_by_label("What do you need help with?").fill(VPN_QUESTION)
    alice.get_by_role("button", name="Ask", exact=True).click()
    expect(alice.get_by_text("I opened ticket DP-")).to_be_visible()
    expect(alice.locator(".citation")).to_have_count(0)
    expect(alice.get_by_text("Did this solve it?")).to_have_count(0)

    lena = signed_in("lena")
    lena.goto("/dashboard")
    expect(lena.get_by_role("alert").filter(has_text="AI switched")).to_contain_text(
        "chat deflection is off (channel chat), by adam")
