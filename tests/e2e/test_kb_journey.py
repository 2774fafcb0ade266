"""The knowledge base in headless Chromium: an agent writes an article with the live preview and submits it, a
lead reviews and approves it, and a requester's question in the chat is then answered from it, with a citation.

Screenshots go to test-artifacts/ (e2e-kb-*.png).
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tests.conversations.conftest import load_chat_kb
from tests.e2e.conftest import SignIn
from tests.factories import Desk

# Other articles in the index, so the new one has to win retrieval on its own merit.
ARTICLES = ("vpn-connect-windows", "printer-add", "password-reset-self-service", "outlook-not-syncing")
TITLE = "Book a meeting room"
BODY = """Meeting rooms are booked in Outlook, from the calendar, by adding the room to an invitation.

## Steps

1. Open the **Calendar** in Outlook and create a new meeting.
2. Select **Room Finder**, pick the building and a meeting room that is free.
3. Send the invitation: the meeting room accepts it and the booking is confirmed by e-mail.
"""


def _shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"e2e-kb-{name}.png"), full_page=True)


def test_an_agent_writes_a_lead_approves_and_the_chat_cites_the_article(
        signed_in: SignIn, session: Session, desk: Desk, sla_24x7: None, artifacts_dir: Path) -> None:
    del desk, sla_24x7
    load_chat_kb(session, ARTICLES)
    session.commit()

    carol = signed_in("carol")
    carol.get_by_role("navigation", name="Main").get_by_role("link", name="Knowledge").click()
    carol.get_by_role("link", name="New article").click()
    carol.get_by_label("Title").fill(TITLE)
    carol.get_by_label("Category").fill("Facilities")
    carol.get_by_label("Text (Markdown)").fill(BODY)
    expect(carol.locator("#preview").get_by_role("heading", name="Steps")).to_be_visible()
    expect(carol.locator("#preview strong").first).to_have_text("Calendar")
    _shot(carol, artifacts_dir, "editor")
    carol.get_by_label("What changed (for reviewers)").fill("New article for the room booking questions")
    carol.get_by_role("button", name="Save draft").click()
    expect(carol.get_by_role("status")).to_contain_text("saved as a draft")
    carol.get_by_role("button", name="Submit for review").click()
    expect(carol.get_by_role("status")).to_contain_text("sent for review")
    expect(carol.get_by_role("button", name="Approve and publish")).to_have_count(0)

    lena = signed_in("lena")
    lena.get_by_role("navigation", name="Main").get_by_role("link", name="Knowledge").click()
    expect(lena.get_by_role("row", name=TITLE)).to_contain_text("v1 in review")
    waiting = lena.get_by_role("region", name="Waiting for review (1)")
    waiting.get_by_role("link", name=TITLE).click()
    expect(lena.locator("#pending-title")).to_have_text("Version 1 is in review")
    expect(lena.get_by_text("Submitted by carol")).to_contain_text("room booking questions")
    lena.get_by_label("Note for the record (optional)").fill("Checked with Facilities")
    lena.get_by_role("button", name="Approve and publish").click()
    expect(lena.get_by_role("status")).to_contain_text("approved and published")
    expect(lena.locator("#article-status")).to_have_text("published")
    _shot(lena, artifacts_dir, "approved")

    alice = signed_in("alice")
    alice.get_by_role("navigation", name="Main").get_by_role("link", name="Ask the assistant").click()
    alice.get_by_label("What do you need help with?").fill("How do I book a meeting room?")
    alice.get_by_role("button", name="Ask", exact=True).click()
    answer = alice.locator(".from-assistant").last
    expect(answer.get_by_role("link", name=TITLE)).to_be_visible()
    _shot(alice, artifacts_dir, "cited-in-chat")
