"""Single sign-on in headless Chromium against a real OpenID provider (Node's oidc-provider): a new person
is let in with the role and team their groups give, and a group change moves their role at the next sign-in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.models import Role, User
from deskpilot.runtime import AiRuntime
from tests.accounts.oidc_provider import IdentityProvider, identity_provider
from tests.factories import Desk
from tests.live_server import _free_port, server_settings, serving


@dataclass
class SsoDesk:
    url: str
    provider: IdentityProvider


@pytest.fixture
def sso_desk(database_url: str, tmp_path: Path, ai_runtime: AiRuntime, desk: Desk) -> Iterator[SsoDesk]:
    del desk  # the Service Desk team the groups map to
    app_port, idp_port = _free_port(), _free_port()
    app = f"http://127.0.0.1:{app_port}"
    with identity_provider(idp_port, redirect_uri=f"{app}/sign-in/sso/callback",
                           after_sign_out=f"{app}/sign-in?signed_out=1", workdir=tmp_path) as provider:
        settings = server_settings(
            database_url, tmp_path / "var", base_url=app, oidc_issuer=provider.issuer,
            oidc_client_id=provider.client_id, oidc_client_secret=provider.client_secret,
            oidc_label="Northwind ID", oidc_role_groups={"it-agents": "agent", "it-leads": "lead"},
            oidc_team_groups={"it-agents": "Service Desk"})
        with serving(settings, ai_runtime, port=app_port):
            yield SsoDesk(url=app, provider=provider)


def _sign_in_with_sso(page: Page, login: str) -> None:
    page.goto("/sign-in")
    page.get_by_role("link", name="Sign in with Northwind ID").click()
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("anything")
    page.locator("button[type=submit]").click()
    consent = page.get_by_role("button", name="Continue")
    if consent.count():
        consent.click()
    expect(page.get_by_text("Signed in as")).to_be_visible()


def _user(session: Session, email: str) -> User:
    session.expire_all()
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


def test_a_person_signs_in_through_the_provider_and_a_group_change_moves_their_role(
        chromium: Browser, sso_desk: SsoDesk, session: Session, artifacts_dir: Path) -> None:
    sso_desk.provider.set_people({"nina": {"email": "Nina.Novak@northwind.example", "name": "Nina Novak",
                                           "preferred_username": "nina", "groups": ["it-agents", "staff"]}})
    context = chromium.new_context(base_url=sso_desk.url)
    page = context.new_page()
    _sign_in_with_sso(page, "nina")
    page.screenshot(path=str(artifacts_dir / "e2e-sso-signed-in.png"), full_page=True)
    nina = _user(session, "nina.novak@northwind.example")
    assert (nina.username, nina.full_name, nina.role, nina.password_hash) == ("nina", "Nina Novak", Role.AGENT, None)
    assert [team.name for team in nina.teams] == ["Service Desk"]
    session.commit()

    sso_desk.provider.set_people({"nina": {"email": "nina.novak@northwind.example", "name": "Nina Novak",
                                           "preferred_username": "nina", "groups": ["it-leads"]}})
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You are signed out")
    page.get_by_role("link", name="sign out of Northwind ID too").click()
    page.get_by_role("button", name="Yes, sign me out").click()  # the provider asks before ending its session
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    _sign_in_with_sso(page, "nina")
    nina = _user(session, "nina.novak@northwind.example")
    assert nina.role is Role.LEAD and nina.teams == [], "the lead group gives no team; the agents' team is gone"
    assert session.scalar(select(User.id).where(User.username == "nina2")) is None, "the same account, not a new one"
    context.close()
