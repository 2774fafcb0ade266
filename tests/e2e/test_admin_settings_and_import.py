"""In headless Chromium: an administrator raises the chat's answer threshold and the next requester's question
gets the article's steps instead of a direct answer; an administrator tests an IMAP mailbox against Dovecot
with a wrong and the right password; an agent imports an article file on the KB import page and finds it."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy.orm import Session

from tests.channels.email.conftest import IMAP_PASSWORD, IMAP_USER, Dovecot, dovecot  # noqa: F401 - fixture
from tests.conversations.conftest import load_chat_kb
from tests.e2e.conftest import SignIn
from tests.e2e.test_chat_journeys import ARTICLES, VPN_QUESTION, _ask
from tests.factories import Desk


def test_an_admin_raises_the_answer_threshold_and_the_next_question_gets_steps_not_an_answer(
        signed_in: SignIn, session: Session, desk: Desk, sla_24x7: None, artifacts_dir: Path) -> None:
    del sla_24x7, desk
    load_chat_kb(session, ARTICLES)
    session.commit()
    alice = signed_in("alice", javascript=False)
    _ask(alice, VPN_QUESTION)
    expect(alice.locator(".from-assistant").last).to_contain_text("Did this solve it?")  # a direct answer

    adam = signed_in("adam")
    adam.get_by_role("navigation", name="Main").get_by_role("link", name="AI settings").click()
    row = adam.locator("#setting-answer_abstain_below")
    expect(row.locator(".value")).to_have_text("0.5")
    expect(row).to_contain_text("default")
    row.get_by_role("textbox", name="Answer abstention").fill("1.5")
    row.get_by_role("button", name="Save").click()
    expect(adam.get_by_role("alert")).to_contain_text("less than or equal to 1")
    row = adam.locator("#setting-answer_abstain_below")
    row.get_by_role("textbox", name="Answer abstention").fill("1")
    row.get_by_role("textbox", name="Reason").fill("pilot: people answer VPN questions")
    row.get_by_role("button", name="Save").click()
    expect(adam.get_by_role("status")).to_contain_text("Answer abstention was changed")
    row = adam.locator("#setting-answer_abstain_below")
    expect(row.locator(".value")).to_have_text("1.0")
    expect(row).to_contain_text("version 1, adam")
    adam.screenshot(path=str(artifacts_dir / "e2e-admin-ai-settings.png"), full_page=True)

    # The same question now gets no direct answer: the assistant walks through the article's steps instead.
    bob = signed_in("bob", javascript=False)
    _ask(bob, VPN_QUESTION)
    expect(bob.locator(".from-assistant").last).to_contain_text("Step 1 of")
    expect(bob.get_by_text("Did this solve it?")).to_have_count(0)


def test_an_admin_tests_a_mailbox_with_a_wrong_and_the_right_password(
        signed_in: SignIn, desk: Desk, dovecot: Dovecot, artifacts_dir: Path) -> None:  # noqa: F811
    del desk
    adam = signed_in("adam")
    adam.get_by_role("navigation", name="Main").get_by_role("link", name="Mail and directory").click()
    new = adam.get_by_role("form", name="New mailbox")
    new.get_by_label("Name (a short key, such as support)").fill("support")
    new.get_by_label("Host", exact=True).fill(dovecot.host)
    new.get_by_label("Port", exact=True).fill(str(dovecot.port))
    new.get_by_label("SSL", exact=True).uncheck()
    new.get_by_label("User name", exact=True).fill(IMAP_USER)
    new.get_by_label("Password").fill("not-the-password")
    new.get_by_role("button", name="Test connection").click()
    expect(new.get_by_role("alert")).to_contain_text("Failed.", timeout=20_000)
    expect(new.get_by_role("alert")).to_contain_text("Check the user name and password")
    new.get_by_label("Password").fill(IMAP_PASSWORD)
    new.get_by_role("button", name="Test connection").click()
    expect(new.get_by_role("status")).to_contain_text(f"Signed in to {dovecot.host}:{dovecot.port} as {IMAP_USER}")
    adam.screenshot(path=str(artifacts_dir / "e2e-admin-mailbox-test.png"), full_page=True)
    new.get_by_role("button", name="Add mailbox").click()
    expect(adam.get_by_role("status").first).to_contain_text("The mailbox was saved")
    saved = adam.get_by_role("form", name="Mailbox support")
    expect(saved.get_by_label("Password")).to_have_value("")
    expect(saved.get_by_label("Password")).to_have_attribute("placeholder", "set — leave blank to keep it")
    saved.get_by_role("button", name="Test connection").click()
    expect(saved.get_by_role("status")).to_contain_text("Connected.")


def test_an_agent_imports_an_article_file_on_the_kb_import_page(
        signed_in: SignIn, desk: Desk, tmp_path: Path, artifacts_dir: Path) -> None:
    del desk
    article = tmp_path / "badge-printer.md"
    article.write_text("---\ntitle: Print a visitor badge\ncategory: Facilities\n---\n"
                       "Open **Badges** on the reception PC and press Print.\n", encoding="utf-8")
    broken = tmp_path / "notes.txt"
    broken.write_text("not an article", encoding="utf-8")
    carol = signed_in("carol")
    carol.get_by_role("navigation", name="Main").get_by_role("link", name="Knowledge").click()
    carol.get_by_role("link", name="Import files").click()
    carol.get_by_label("Files", exact=True).set_input_files([str(article), str(broken)])
    carol.get_by_role("button", name="Import").click()
    expect(carol.get_by_role("status")).to_contain_text("1 created, 0 updated, 0 unchanged, 1 file skipped.")
    expect(carol.get_by_role("row", name="notes.txt")).to_contain_text("unsupported file type .txt")
    carol.screenshot(path=str(artifacts_dir / "e2e-kb-import.png"), full_page=True)
    carol.get_by_role("row", name="badge-printer.md").get_by_role("link", name="badge-printer").click()
    expect(carol.get_by_role("link", name="Print a visitor badge")).to_be_visible()
