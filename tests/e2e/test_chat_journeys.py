"""The chat in headless Chromium: a VPN question deflected by an article; the VPN journey (which device?, a typed
error sent to its step, a ticket offered and opened on yes) that an agent reads with cause and diagnostics;
"Talk to a human" mid-conversation, and CSAT.

Screenshots go to test-artifacts/ (e2e-chat-*.png) for a person to look at.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from deskpilot.conversations.models import Conversation
from tests.conversations.conftest import load_chat_kb
from tests.e2e.conftest import PHONE, SignIn
from tests.factories import Desk

# One VPN article among six, so the served app's default threshold answers the VPN question outright.
ARTICLES = ("vpn-connect-windows", "printer-add", "password-reset-self-service", "outlook-not-syncing",
            "wifi-corporate-nw-corp", "teams-audio-video")
VPN_QUESTION = "My VPN keeps disconnecting"
PROBLEM = "My VPN does not connect from home"


def _shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"e2e-chat-{name}.png"), full_page=True)


def _ask(page: Page, question: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Ask the assistant").click()
    page.get_by_label("What do you need help with?").fill(question)
    page.get_by_role("button", name="Ask", exact=True).click()


def _kb(session: Session) -> None:
    load_chat_kb(session, ARTICLES)
    session.commit()


def test_vpn_question_is_deflected_by_an_article_and_rated(
        signed_in: SignIn, session: Session, desk: Desk, sla_24x7: None, artifacts_dir: Path) -> None:
    del sla_24x7, desk
    _kb(session)
    alice = signed_in("alice", javascript=False)
    _ask(alice, VPN_QUESTION)
    answer = alice.locator(".from-assistant").last
    expect(answer).to_contain_text("Did this solve it?")
    expect(answer.locator(".ai-badge")).to_have_text("AI-assisted")
    expect(answer.get_by_role("link", name="Connect to the company VPN on Windows")).to_be_visible()
    _shot(alice, artifacts_dir, "answer-desktop")
    alice.get_by_role("button", name="Yes, that solved it").click()
    expect(alice.get_by_role("heading", name="How did we do?")).to_be_visible()
    alice.get_by_label("4").check()
    alice.get_by_label("Comment (optional)").fill("Quick <b>and</b> clear")
    alice.get_by_role("button", name="Send rating").click()
    expect(alice.get_by_role("status")).to_contain_text("You rated this conversation 4 out of 5")
    expect(alice.get_by_role("status")).to_contain_text("Quick <b>and</b> clear")
    _shot(alice, artifacts_dir, "rated-desktop")
    alice.locator(".citation").first.click()
    expect(alice.get_by_role("heading", name="Connect to the company VPN on Windows")).to_be_visible()


def test_vpn_journey_asks_the_device_reads_a_typed_error_and_asks_before_the_ticket_an_agent_reads(
        signed_in: SignIn, session: Session, desk: Desk, sla_24x7: None, artifacts_dir: Path) -> None:
    del sla_24x7
    load_chat_kb(session, (*ARTICLES, "vpn-connect-macos", "vpn-error-codes"))
    session.commit()
    alice = signed_in("alice", viewport=PHONE)
    _ask(alice, "My VPN won't connect")
    expect(alice.locator(".from-assistant").last).to_contain_text("Which device is this on?")
    _shot(alice, artifacts_dir, "device-question-phone")
    alice.get_by_role("button", name="macOS").click()
    expect(alice.locator(".from-assistant").last).to_contain_text("Step 1 of 7 from “Connect to the company VPN on "
                                                                  "macOS”")
    alice.get_by_label("Your message").fill("Still not working, now it says Authentication failed")
    alice.get_by_role("button", name="Send", exact=True).click()
    expect(alice.locator(".from-assistant").last).to_contain_text("“Authentication failed” is covered by")
    _shot(alice, artifacts_dir, "error-step-phone")
    alice.get_by_role("button", name="Still not working").click()
    expect(alice.locator(".from-assistant").last).to_contain_text("Shall I open a ticket")
    alice.get_by_role("button", name="Yes, open a ticket").click()
    expect(alice.get_by_role("status")).to_contain_text("continues as request DP-")
    expect(alice.locator(".from-system").last).to_contain_text("You can expect a first reply by")
    _shot(alice, artifacts_dir, "ticket-phone")

    conversation = session.query(Conversation).one()
    carol = signed_in("carol")
    carol.get_by_role("navigation", name="Main").get_by_role("link", name="Live chats").click()
    carol.get_by_role("link", name="My VPN won't connect").click()
    carol.get_by_role("link", name=f"DP-{conversation.ticket_id}", exact=True).click()
    page_text = carol.locator("main")
    expect(page_text).to_contain_text("AI summary (AI-assisted")
    expect(page_text).to_contain_text("Steps already tried (2)")
    expect(page_text).to_contain_text("Device (requester said): macOS")
    expect(page_text).to_contain_text("Error shown (requester typed): “Authentication failed”")
    expect(page_text).to_contain_text("Probable cause [vpn-error-codes v1]")
    expect(page_text).to_contain_text("Suggested SLA")
    _shot(carol, artifacts_dir, "agent-ticket-desktop")
    del desk


def test_talk_to_a_human_mid_conversation_and_the_agent_answers(
        signed_in: SignIn, session: Session, desk: Desk, sla_24x7: None, artifacts_dir: Path) -> None:
    del sla_24x7, desk
    _kb(session)
    alice = signed_in("alice")
    _ask(alice, PROBLEM)
    alice.get_by_role("button", name="Talk to a human").click()
    expect(alice.locator(".from-system").last).to_contain_text("You asked for a person")
    alice.get_by_label("Your message to the service desk").fill("<script>alert('x')</script> I am at home")
    alice.get_by_role("button", name="Send", exact=True).click()
    expect(alice.locator(".from-requester").last).to_contain_text("<script>alert('x')</script> I am at home")

    carol = signed_in("carol")
    carol.goto("/agent/chats")
    carol.get_by_role("link", name=PROBLEM).click()
    expect(carol.locator("#chat-transcript")).to_contain_text("I am at home")
    carol.get_by_role("button", name="Pick up this conversation").click()
    carol.get_by_label("Reply to Alice").fill("Hi Alice, I am checking the VPN gateway for you now.")
    carol.get_by_role("button", name="Send reply").click()
    _shot(carol, artifacts_dir, "agent-chat-desktop")

    # htmx polling brings the agent's reply to the requester's open page without a reload.
    expect(alice.locator(".from-agent")).to_contain_text("checking the VPN gateway", timeout=15_000)
    _shot(alice, artifacts_dir, "human-desktop")

    # A reply written on the ticket in the console reaches the open chat too, as does the resolution.
    ticket_id = session.query(Conversation).one().ticket_id
    carol.get_by_role("link", name=f"DP-{ticket_id}", exact=True).click()
    expect(carol.locator("#requester-name")).to_contain_text("Alice")
    carol.get_by_label("Reply", exact=True).fill("The Berlin gateway was restarted, please try again.")
    carol.get_by_role("button", name="Send reply").click()
    carol.get_by_label("Status").select_option("resolved")
    carol.get_by_role("button", name="Change status").click()
    expect(alice.locator(".from-system").filter(has_text="The Berlin gateway was restarted")).to_have_count(
        1, timeout=15_000)
    expect(alice.locator("#chat-transcript")).to_contain_text(f"DP-{ticket_id} has been resolved", timeout=15_000)
    _shot(alice, artifacts_dir, "ticket-reply-in-chat-desktop")
