"""The chat in headless Chromium when the evidence is weak but present: the closest articles listed as uncertain
suggestions, each a link, with the answer's yes/no buttons; "No, it did not help" walks the most likely one's steps.

Screenshots go to test-artifacts/ (e2e-suggestions-*.png) for a person to look at.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy.orm import Session

from tests.conversations.conftest import load_chat_kb
from tests.conversations.test_suggestions import PHONE_ARTICLES, WEAK_QUESTION
from tests.e2e.conftest import SignIn
from tests.e2e.test_chat_journeys import _ask
from tests.factories import Desk


def test_weak_evidence_lists_the_closest_articles_and_no_walks_the_most_likely_ones_steps(
        signed_in: SignIn, session: Session, desk: Desk, sla_24x7: None, artifacts_dir: Path) -> None:
    del sla_24x7, desk
    load_chat_kb(session, PHONE_ARTICLES)
    session.commit()
    alice = signed_in("alice", javascript=False)
    _ask(alice, WEAK_QUESTION)
    reply = alice.locator(".from-assistant").last
    expect(reply).to_contain_text("I am not sure any approved article answers this exactly.")
    expect(reply).to_contain_text("Did one of them solve it?")
    expect(reply.get_by_role("link", name="Laptop or phone lost or stolen")).to_be_visible()
    expect(reply.get_by_role("link", name="Lost or broken phone: sign in without Okta Verify")).to_be_visible()
    alice.screenshot(path=str(artifacts_dir / "e2e-suggestions-listed.png"), full_page=True)
    alice.get_by_role("button", name="No, it did not help").click()
    expect(alice.locator(".from-assistant").last).to_contain_text("Step 1 of")
    expect(alice.locator(".from-assistant").last.locator(".citation")).to_have_count(1)
