"""`make demo` has no LDAP directory and no SMTP server, and the self-service reset works there all the same: in
headless Chromium alice tells the chat she forgot her password, reads the code in the mail drop, chooses a new
password, is signed out everywhere, and then the sign-in page accepts the new password and refuses the old one.

Screenshots go to test-artifacts/ (e2e-demo-reset-*.png).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from deskpilot.config import Settings
from tests.conversations.conftest import load_chat_kb
from tests.e2e.conftest import SignIn, browser_sessions
from tests.factories import PASSWORD, Desk
from tests.live_server import server_settings, serving
from tests.runbooks.conftest import approve_builtins, last_code

NEW = "Fresh-Start-2026!"


@pytest.fixture
def demo_settings(database_url: str, tmp_path: Path) -> Settings:
    return server_settings(database_url, tmp_path / "var")


@pytest.fixture
def demo_server(demo_settings: Settings, session: Session, desk: Desk, sla_24x7: None) -> Iterator[str]:
    """A server as `make demo` runs it (no directory, no mail server), the shipped runbooks approved."""
    del sla_24x7
    approve_builtins(session, desk)
    load_chat_kb(session)
    session.commit()
    with serving(demo_settings) as url:
        yield url


@pytest.fixture
def demo_desk(demo_server: str, chromium: Browser) -> Iterator[SignIn]:
    with browser_sessions(chromium, demo_server) as sign_in:
        yield sign_in


def _sign_in(page: Page, password: str) -> None:
    page.goto("/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_signed_out_requester_resets_her_password_from_the_sign_in_page(
        demo_server: str, chromium: Browser, demo_settings: Settings, artifacts_dir: Path) -> None:
    context = chromium.new_context(base_url=demo_server)
    try:
        page = context.new_page()
        page.goto("/")
        page.get_by_role("link", name="Forgot your password?").click()
        page.get_by_label("User name or e-mail address").fill("alice@northwind.example")
        page.get_by_role("button", name="Send the code").click()
        expect(page.get_by_role("status")).to_contain_text("a 6-digit code is on its way")
        code = last_code(demo_settings)
        page.get_by_label("Code from the e-mail").fill("000000" if code != "000000" else "111111")
        page.get_by_label("New password", exact=True).fill(NEW)
        page.get_by_label("New password again").fill(NEW)
        page.get_by_role("button", name="Reset my password").click()
        expect(page.get_by_role("alert")).to_contain_text("That code is not right")
        page.get_by_label("Code from the e-mail").fill(code)
        page.get_by_label("New password", exact=True).fill(NEW)
        page.get_by_label("New password again").fill(NEW)
        page.screenshot(path=str(artifacts_dir / "e2e-demo-reset-sign-in-page.png"), full_page=True)
        page.get_by_role("button", name="Reset my password").click()
        expect(page.get_by_role("status")).to_contain_text("Your password has been reset")
        _sign_in(page, PASSWORD)
        expect(page.get_by_role("alert")).to_contain_text("wrong password")
        _sign_in(page, NEW)
        expect(page.get_by_text("Signed in as")).to_be_visible()
    finally:
        context.close()


def test_a_demo_requester_resets_her_sign_in_password_in_the_chat(
        demo_desk: SignIn, demo_settings: Settings, artifacts_dir: Path) -> None:
    alice = demo_desk("alice")
    alice.get_by_role("navigation", name="Main").get_by_role("link", name="Ask the assistant").click()
    alice.get_by_label("What do you need help with?").fill("I forgot my password")
    alice.get_by_role("button", name="Ask", exact=True).click()
    expect(alice.locator(".from-assistant").last).to_contain_text("one-time code")
    chat_url = alice.url
    alice.get_by_role("button", name="Yes, send the code").click()
    expect(alice.locator(".from-assistant").last).to_contain_text("I sent a 6-digit code to a****@northwind.example")
    code = last_code(demo_settings)
    alice.get_by_label("Your message").fill(code)
    alice.get_by_role("button", name="Send", exact=True).click()
    expect(alice.get_by_role("heading", name="Choose your new password")).to_be_visible()
    expect(alice.locator(".chat-transcript")).not_to_contain_text(code)
    alice.get_by_label("New password", exact=True).fill(NEW)
    alice.get_by_label("New password again").fill(NEW)
    alice.get_by_role("button", name="Reset my password").click()
    # The reset ended every session of hers, this one too: the desk asks her to sign in again.
    expect(alice.get_by_role("heading", name="Sign in")).to_be_visible()
    alice.screenshot(path=str(artifacts_dir / "e2e-demo-reset-signed-out.png"), full_page=True)
    _sign_in(alice, PASSWORD)
    expect(alice.get_by_role("alert")).to_contain_text("wrong password")
    _sign_in(alice, NEW)
    expect(alice.get_by_text("Signed in as")).to_be_visible()
    alice.goto(chat_url)
    expect(alice.locator(".from-assistant").last).to_contain_text("signed out everywhere")
    alice.screenshot(path=str(artifacts_dir / "e2e-demo-reset-done.png"), full_page=True)
