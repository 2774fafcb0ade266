"""The portal chat in headless Chromium does a full self-service password reset: alice says she forgot her
password, accepts the offer, types the code that reached a real SMTP server, chooses a new password in its own
field, and the real OpenLDAP directory then accepts the new password and refuses the old one.

Screenshots go to test-artifacts/ (e2e-reset-*.png).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from deskpilot.conversations.password_help import MASKED_CODE
from deskpilot.runbooks.identity import LdapDirectory
from tests.conversations.conftest import load_chat_kb
from tests.e2e.conftest import PHONE, SignIn, browser_sessions
from tests.factories import Desk
from tests.live_server import server_settings, serving
from tests.runbooks.conftest import approve_builtins
from tests.runbooks.directory import OLD_PASSWORD, SERVICE_DN, SERVICE_PW, SUFFIX, LdapServer, run_slapd
from tests.runbooks.mail_sink import Sink, sink  # noqa: F401 - fixture of the tests in this file

NEW = "Fresh-Start-2026!"


@pytest.fixture
def ldap(tmp_path: Path) -> Iterator[LdapServer]:
    (tmp_path / "ldap").mkdir()
    yield from run_slapd(tmp_path / "ldap")


@pytest.fixture
def reset_desk(database_url: str, tmp_path: Path, ldap: LdapServer, sink: tuple[Sink, int],  # noqa: F811
               chromium: Browser, session: Session, desk: Desk, sla_24x7: None) -> Iterator[SignIn]:
    """A server wired to the directory and the mail sink, the reset runbook approved, a small KB."""
    del sla_24x7
    approve_builtins(session, desk)
    load_chat_kb(session)
    session.commit()
    settings = server_settings(database_url, tmp_path / "var", ldap_url=ldap.url, ldap_base_dn=SUFFIX,
                               ldap_bind_dn=SERVICE_DN, ldap_bind_password=SERVICE_PW,
                               ldap_group_base_dn=f"ou=groups,{SUFFIX}", mail_smtp_host="127.0.0.1",
                               mail_smtp_port=sink[1])
    with serving(settings) as url, browser_sessions(chromium, url) as sign_in:
        yield sign_in


def _shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"e2e-reset-{name}.png"), full_page=True)


def test_a_requester_resets_her_password_in_the_portal_chat(
        reset_desk: SignIn, sink: tuple[Sink, int], ldap: LdapServer, artifacts_dir: Path) -> None:  # noqa: F811
    alice = reset_desk("alice", viewport=PHONE)
    alice.get_by_role("navigation", name="Main").get_by_role("link", name="Ask the assistant").click()
    alice.get_by_label("What do you need help with?").fill("I forgot my password and now I cannot sign in")
    alice.get_by_role("button", name="Ask", exact=True).click()
    offer = alice.locator(".from-assistant").last
    expect(offer).to_contain_text("one-time code")
    expect(offer.locator(".ai-badge")).to_have_text("AI-assisted")
    _shot(alice, artifacts_dir, "offer-phone")
    alice.get_by_role("button", name="Yes, send the code").click()
    expect(alice.locator(".from-assistant").last).to_contain_text("I sent a 6-digit code to a****@northwind.example")
    code = sink[0].last_code()
    alice.get_by_label("Your message").fill(code)
    alice.get_by_role("button", name="Send", exact=True).click()
    expect(alice.get_by_role("heading", name="Choose your new password")).to_be_visible()
    expect(alice.locator(".chat-transcript")).to_contain_text(MASKED_CODE)
    expect(alice.locator(".chat-transcript")).not_to_contain_text(code)
    alice.get_by_label("New password", exact=True).fill("weak")
    alice.get_by_label("New password again").fill("weak")
    alice.get_by_role("button", name="Reset my password").click()
    expect(alice.get_by_role("alert")).to_contain_text("policy")
    _shot(alice, artifacts_dir, "policy-phone")
    alice.get_by_label("New password", exact=True).fill(NEW)
    alice.get_by_label("New password again").fill(NEW)
    alice.get_by_role("button", name="Reset my password").click()
    expect(alice.locator(".from-assistant").last).to_contain_text("your password has been reset")
    expect(alice.get_by_role("heading", name="How did we do?")).to_be_visible()
    _shot(alice, artifacts_dir, "done-phone")
    directory = LdapDirectory(server_settings("sqlite://", Path("unused"), ldap_url=ldap.url, ldap_base_dn=SUFFIX,
                                              ldap_bind_dn=SERVICE_DN, ldap_bind_password=SERVICE_PW))
    try:
        user = directory.find_user("alice")
        assert directory.check_password(user, NEW) and not directory.check_password(user, OLD_PASSWORD)
    finally:
        directory.close()
