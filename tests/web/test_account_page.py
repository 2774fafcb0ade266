"""The account page: my API tokens (created once-visible, listed with last use, revoked) and my password."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.audit.models import AuditEvent
from tests.factories import Desk
from tests.web.conftest import PageClient

_SECRET = re.compile(r'id="new-token-secret">(dp_[^<]+)<')


def test_a_token_made_on_the_account_page_is_shown_once_works_and_can_be_revoked(
        browser: PageClient, desk: Desk, live_server: str) -> None:
    del desk
    browser.sign_in("alice")
    created = browser.post_form("/account/tokens", {"name": "my laptop", "expires_in_days": "30"},
                                from_page="/account")
    assert created.status_code == 201
    secret = _SECRET.search(created.text)
    assert secret, created.text
    with httpx.Client(base_url=live_server, headers={"Authorization": f"Bearer {secret.group(1)}"}) as api:
        assert api.get("/api/v1/me").json()["username"] == "alice"
        page = browser.get("/account")
        assert "my laptop" in page.text and secret.group(1) not in page.text
        token_id = re.search(r'action="/account/tokens/(\d+)/revoke"', page.text)
        assert token_id
        revoked = browser.post_form(f"/account/tokens/{token_id.group(1)}/revoke", {}, from_page="/account")
        assert revoked.headers["location"] == "/account?revoked=1"
        assert api.get("/api/v1/me").status_code == 401


def test_bad_token_form_input_is_explained_and_creates_nothing(browser: PageClient, desk: Desk) -> None:
    del desk
    browser.sign_in("carol")
    response = browser.post_form("/account/tokens", {"name": " ", "expires_in_days": "9999"}, from_page="/account")
    assert response.status_code == 422
    assert "Name the token" in response.text and "from 1 to 365" in response.text
    assert "You have no API tokens." in response.text


def test_a_wrong_current_password_on_the_page_is_refused_and_audited(browser: PageClient, desk: Desk,
                                                                     session: Session) -> None:
    browser.sign_in("bob")
    response = browser.post_form("/account/password", {"current_password": "not-it-123",
                                                       "new_password": "Brand-New-Passw0rd",
                                                       "confirm_password": "Brand-New-Passw0rd"}, from_page="/account")
    assert response.status_code == 403
    assert "The current password is wrong" in response.text
    session.expire_all()
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == str(desk.bob.id))).all()
    assert "user.password_change_refused" in actions


def test_changing_my_password_on_the_page_signs_out_my_other_browser(browser: PageClient, second_browser: PageClient,
                                                                     desk: Desk) -> None:
    del desk
    browser.sign_in("lena")
    second_browser.sign_in("lena")
    changed = browser.post_form("/account/password", {"current_password": "Correct-Horse-42",
                                                      "new_password": "Brand-New-Passw0rd",
                                                      "confirm_password": "Brand-New-Passw0rd"}, from_page="/account")
    assert changed.headers["location"] == "/account?password_changed=1"
    assert browser.get("/account").status_code == 200
    assert second_browser.get("/account").status_code == 303
    assert second_browser.sign_in("lena", password="Brand-New-Passw0rd").status_code == 303
