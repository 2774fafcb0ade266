"""The chat in headless Chromium for a requester who writes German: the answer comes in German, from the
German article, with no ticket; small talk is answered in the requester's language, German then French, with no
article and no ticket. Screenshots: test-artifacts/e2e-chat-german.png, e2e-chat-small-talk-de-fr.png."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy.orm import Session

from tests.conversations.conftest import load_chat_kb
from tests.e2e.conftest import SignIn
from tests.e2e.test_chat_journeys import ARTICLES
from tests.factories import Desk


def test_a_german_question_is_answered_in_german_from_the_german_article(
        signed_in: SignIn, session: Session, desk: Desk, sla_24x7: None, artifacts_dir: Path) -> None:
    del sla_24x7, desk
    load_chat_kb(session, (*ARTICLES, "vpn-connect-windows-de"))
    session.commit()
    alice = signed_in("alice", javascript=False)
    alice.get_by_role("navigation", name="Main").get_by_role("link", name="Ask the assistant").click()
    alice.get_by_label("What do you need help with?").fill("Wie verbinde ich mich unter Windows mit dem Firmen-VPN?")
    # The first question not in English computes the KB's multilingual vectors (seconds; more on busy cores).
    alice.get_by_role("button", name="Ask", exact=True).click(timeout=180_000)
    answer = alice.locator(".from-assistant").last
    expect(answer).to_contain_text("Hat das geholfen? Antworten Sie mit ja oder nein.")
    expect(answer.get_by_role("link", name="Mit dem Firmen-VPN unter Windows verbinden")).to_be_visible()
    alice.screenshot(path=str(artifacts_dir / "e2e-chat-german.png"), full_page=True)
    alice.get_by_role("button", name="Yes, that solved it").click()
    expect(alice.get_by_role("heading", name="How did we do?")).to_be_visible()


def test_small_talk_is_answered_in_the_requesters_language(
        signed_in: SignIn, session: Session, desk: Desk, sla_24x7: None, artifacts_dir: Path) -> None:
    del sla_24x7, desk
    load_chat_kb(session, ARTICLES)
    session.commit()
    alice = signed_in("alice", javascript=False)
    alice.get_by_role("navigation", name="Main").get_by_role("link", name="Ask the assistant").click()
    alice.get_by_label("What do you need help with?").fill("Guten Morgen zusammen!")
    # The first turn on a cold server loads the intent model (seconds; more on busy cores).
    alice.get_by_role("button", name="Ask", exact=True).click(timeout=180_000)
    expect(alice.locator(".from-assistant").last).to_contain_text("Ich bin der Assistent des Service Desks")
    alice.get_by_label("Your message", exact=True).fill("Merci beaucoup pour votre aide !")
    alice.get_by_role("button", name="Send", exact=True).click()
    expect(alice.locator(".from-assistant").last).to_contain_text("Avec plaisir")
    transcript = alice.locator("#chat-transcript")
    expect(transcript.get_by_role("link")).to_have_count(0)  # no article cited
    expect(transcript).not_to_contain_text("DP-")  # no ticket opened
    alice.screenshot(path=str(artifacts_dir / "e2e-chat-small-talk-de-fr.png"), full_page=True)
