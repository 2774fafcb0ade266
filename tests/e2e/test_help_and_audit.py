"""The help centre and the audit pages in headless Chromium: a requester finds an article by searching and
says it helped; an auditor filters the log and verifies the chain. Screenshots: test-artifacts/e2e-help-*.png
and e2e-audit-*.png."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy.orm import Session

from tests.conversations.conftest import load_chat_kb
from tests.e2e.conftest import SignIn
from tests.factories import Desk

ARTICLES = ("vpn-connect-windows", "printer-add", "outlook-not-syncing")


def test_a_requester_searches_the_help_centre_reads_an_article_and_says_it_helped(
        signed_in: SignIn, session: Session, desk: Desk, artifacts_dir: Path) -> None:
    del desk
    load_chat_kb(session, ARTICLES)
    session.commit()
    alice = signed_in("alice")
    alice.get_by_role("navigation", name="Main").get_by_role("link", name="Help centre").click()
    expect(alice.get_by_role("link", name="Hardware")).to_be_visible()
    alice.get_by_label("Search the help articles").fill("outlook does not sync my mail")
    alice.get_by_role("button", name="Search").click()
    alice.locator(".help-results a").first.click()
    expect(alice.get_by_role("heading", level=1)).to_have_text("Outlook is not receiving or sending e-mail")
    expect(alice.get_by_role("link", name="Ask the assistant").last).to_be_visible()
    alice.get_by_role("button", name="Yes, it helped").click()
    expect(alice.get_by_role("status")).to_contain_text("glad it helped")
    alice.screenshot(path=str(artifacts_dir / "e2e-help-article.png"), full_page=True)


def test_an_auditor_filters_the_log_and_verifies_the_chain(signed_in: SignIn, session: Session, desk: Desk,
                                                          artifacts_dir: Path) -> None:
    del desk
    load_chat_kb(session, ARTICLES)
    session.commit()
    audrey = signed_in("audrey")
    audrey.get_by_role("navigation", name="Main").get_by_role("link", name="Audit").click()
    audrey.get_by_label("Action").fill("kb.approve")
    audrey.get_by_role("button", name="Filter").click()
    expect(audrey.locator(".audit-events tbody tr")).to_have_count(len(ARTICLES))
    audrey.screenshot(path=str(artifacts_dir / "e2e-audit-log.png"), full_page=True)
    audrey.get_by_role("button", name="Verify the chain").click()
    expect(audrey.locator("#verify-result")).to_contain_text("The chain is intact")
    audrey.screenshot(path=str(artifacts_dir / "e2e-audit-verified.png"), full_page=True)
