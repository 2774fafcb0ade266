"""The help centre, runbooks and audit in headless Chromium: a requester finds an article by searching and says
it helped; two leads approve a high-risk runbook, one previews, runs and rolls it back; the auditor finds the
approvals in the log and verifies the chain. Screenshots: test-artifacts/e2e-help-*.png, e2e-runbook-*.png and
e2e-audit-*.png."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.runbooks import service as definitions
from tests.conversations.conftest import load_chat_kb
from tests.e2e.conftest import SignIn
from tests.factories import Desk, make_user, open_ticket
from tests.web.test_runbook_pages import RUNBOOK

ARTICLES = ("vpn-connect-windows", "printer-add", "outlook-not-syncing")


def test_a_requester_searches_the_help_centre_reads_an_article_and_says_it_helped(
        signed_in: SignIn, session: Session, desk: Desk, artifacts_dir: Path) -> None:
    del desk
    load_chat_kb(session, ARTICLES)
    session.commit()
    alice = signed_in("alice")
    alice.get_by_role("navigation", name="Main").get_by_role("link", name="Help centre").click()
    expect(alice.get_by_role("link", name="Network & VPN")).to_be_visible()
    alice.get_by_label("Search the help articles").fill("outlook does not sync my mail")
    alice.get_by_role("button", name="Search").click()
    alice.locator(".help-results a").first.click()
    expect(alice.get_by_role("heading", level=1)).to_have_text("Outlook is not receiving or sending e-mail")
    expect(alice.get_by_role("link", name="Ask the assistant").last).to_be_visible()
    alice.get_by_role("button", name="Yes, it helped").click()
    expect(alice.get_by_role("status")).to_contain_text("glad it helped")
    alice.screenshot(path=str(artifacts_dir / "e2e-help-article.png"), full_page=True)


def test_two_leads_approve_and_run_a_runbook_and_the_auditor_verifies_the_chain(
        signed_in: SignIn, session: Session, desk: Desk, artifacts_dir: Path) -> None:
    make_user(session, "leo", desk.lena.role)
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    definitions.create(session, actor=Principal.system("runbook-author"), source=RUNBOOK)
    session.commit()

    for lead in ("lena", "leo"):
        page = signed_in(lead)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Runbooks").click()
        page.get_by_role("link", name="Raise a ticket to P1").click()
        page.get_by_role("button", name="Approve version 1").click()
        expect(page.get_by_role("status")).to_contain_text("approv")
    expect(page.locator("#approvals")).to_contain_text("2 of 2 (lena, leo)")
    page.get_by_label("reason").fill("outage")
    page.get_by_label("Ticket (optional)").fill(f"DP-{ticket.id}")
    page.get_by_role("button", name="Preview the changes").click()
    expect(page.get_by_role("heading", name="Planned changes")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "e2e-runbook-dry-run.png"), full_page=True)
    page.get_by_role("button", name="Run these changes").click()
    expect(page.locator("#run-status")).to_have_text("succeeded")
    page.get_by_role("button", name="Roll back this run").click()
    expect(page.locator("#run-status")).to_have_text("rolled_back")
    page.screenshot(path=str(artifacts_dir / "e2e-runbook-rolled-back.png"), full_page=True)

    audrey = signed_in("audrey")
    audrey.get_by_role("navigation", name="Main").get_by_role("link", name="Audit").click()
    audrey.get_by_label("Action").fill("runbook.version.approve")
    audrey.get_by_role("button", name="Filter").click()
    expect(audrey.locator(".audit-events tbody tr")).to_have_count(2)
    audrey.get_by_role("button", name="Verify the chain").click()
    expect(audrey.locator("#verify-result")).to_contain_text("The chain is intact")
    audrey.screenshot(path=str(artifacts_dir / "e2e-audit-verified.png"), full_page=True)
