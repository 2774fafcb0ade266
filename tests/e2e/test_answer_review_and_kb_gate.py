"""The governance board in headless Chromium: a lead reviews a chat answer and marks it wrong, and the dashboard's
AI-accuracy figure follows; a KB change set that breaks a replay case is refused on the change-set page,
approved with a reason, then rolled back, and the chat answers from the previous version again."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from tests.conversations.conftest import load_chat_kb
from tests.e2e.conftest import SignIn
from tests.e2e.test_chat_journeys import ARTICLES, VPN_QUESTION
from tests.factories import Desk
from tests.governance.kb_fixtures import CANTEEN, PRINTER_QUESTION, answer_cases_set, submit_version


def _ask(page: Page, question: str) -> None:
    page.goto("/chat")
    page.get_by_label("What do you need help with?").fill(question)
    page.get_by_role("button", name="Ask", exact=True).click()


def test_a_lead_marks_an_answer_wrong_and_the_ai_accuracy_kpi_changes(
        signed_in: SignIn, session: Session, desk: Desk, sla_24x7: None, artifacts_dir: Path) -> None:
    del sla_24x7, desk
    load_chat_kb(session, ARTICLES)
    session.commit()
    alice = signed_in("alice", javascript=False)
    _ask(alice, VPN_QUESTION)
    expect(alice.locator(".citation").first).to_be_visible()

    lena = signed_in("lena")
    lena.goto("/dashboard")
    accuracy = lena.locator(".kpi-card").filter(has_text="AI answers reviewers marked correct")
    expect(accuracy.locator(".kpi-value")).to_have_text("no data")
    lena.get_by_role("navigation", name="Main").get_by_role("link", name="Answer review").click()
    expect(lena.get_by_text("The queue is empty")).to_be_visible()
    lena.get_by_role("button", name="Draw a sample").click()
    expect(lena.get_by_role("status")).to_have_text("The sample was added to the queue.")
    item = lena.locator(".review-item").first
    expect(item).to_contain_text("My VPN keeps disconnecting")
    item.get_by_label("wrong", exact=True).check()
    item.get_by_role("button", name="Record the verdict").click()
    expect(lena.get_by_role("alert")).to_contain_text("a wrong verdict needs a note")
    item = lena.locator(".review-item").first
    item.get_by_label("wrong", exact=True).check()
    item.get_by_label("Note (required when wrong or unsafe)").fill("The portal address changed in November")
    item.get_by_role("button", name="Record the verdict").click()
    expect(lena.get_by_role("status")).to_have_text("The verdict was recorded.")
    expect(lena.get_by_role("region", name="Latest verdicts")).to_contain_text("The portal address changed")
    lena.screenshot(path=str(artifacts_dir / "e2e-answer-review.png"), full_page=True)

    lena.goto("/dashboard")
    expect(lena.locator(".kpi-card").filter(has_text="AI answers reviewers marked correct").locator(
        ".kpi-value")).to_have_text("0.0%")
    expect(lena.locator("#pilot")).to_contain_text("Chat answers")


def test_a_breaking_kb_change_set_is_refused_overridden_and_rolled_back_in_the_browser(
        signed_in: SignIn, session: Session, desk: Desk, sla_24x7: None, artifacts_dir: Path) -> None:
    del sla_24x7
    load_chat_kb(session, ARTICLES)
    answer_cases_set(session, Principal.of(desk.lena))
    submit_version(session, desk, "printer-add", title="Canteen opening hours", body=CANTEEN)
    alice = signed_in("alice", javascript=False)
    _ask(alice, PRINTER_QUESTION)
    expect(alice.locator(".citation").first).to_have_text("[printer-add v1]")

    lena = signed_in("lena")
    lena.get_by_role("navigation", name="Main").get_by_role("link", name="KB change sets").click()
    lena.get_by_role("button", name="Replay and approve").click()
    expect(lena.get_by_role("alert")).to_contain_text("answers for printer-add: deflection 100.0% → 0.0%")
    lena.get_by_label("Reason to publish although the replay gate refuses").fill("Printers move to facilities")
    lena.get_by_role("button", name="Replay and approve").click()
    expect(lena.get_by_role("status")).to_contain_text("The change set was approved")
    row = lena.get_by_role("region", name="Change sets").locator("tr").filter(has_text="printer-add")
    expect(row).to_contain_text("overridden: Printers move to facilities")

    _ask(alice, PRINTER_QUESTION)
    expect(alice.get_by_text("I found no approved article that answers this.")).to_be_visible()
    expect(alice.locator(".citation")).to_have_count(0)
    alice.get_by_role("button", name="No, thanks").click()

    row.get_by_label("Why").fill("Requesters still ask about printers")
    row.get_by_role("button", name="Roll back").click()
    expect(lena.get_by_role("status")).to_contain_text("rolled back")
    expect(lena.get_by_role("region", name="Change sets")).to_contain_text("rolled back by lena")
    lena.screenshot(path=str(artifacts_dir / "e2e-kb-change-sets.png"), full_page=True)

    _ask(alice, PRINTER_QUESTION)
    expect(alice.locator(".citation").first).to_have_text("[printer-add v1]")  # the chat answers as before
