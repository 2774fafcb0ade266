"""Token listing and revocation, own password changes and the last-admin rule, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.audit.models import AuditEvent
from tests.api.conftest import Clients
from tests.factories import PASSWORD, Desk

NEW_PASSWORD = "Brand-New-Passw0rd"


def test_my_tokens_are_listed_with_expiry_and_last_use_and_a_revoked_one_is_refused(
        clients: Clients, live_server: str) -> None:
    issued = clients["alice"].post("/api/v1/users/me/tokens", json={"name": "backup script", "expires_in_days": 7})
    assert issued.status_code == 201, issued.text
    secret, token_id = issued.json()["token"], issued.json()["id"]
    with httpx.Client(base_url=live_server, headers={"Authorization": f"Bearer {secret}"}, timeout=30) as script:
        assert script.get("/api/v1/me").status_code == 200
        listed = {t["id"]: t for t in clients["alice"].get("/api/v1/users/me/tokens").json()}
        mine = listed[token_id]
        assert mine["name"] == "backup script" and mine["active"] and mine["last_used_at"] is not None
        assert "token" not in mine and mine["expires_at"] > mine["created_at"]
        assert clients["alice"].delete(f"/api/v1/users/me/tokens/{token_id}").status_code == 204
        assert script.get("/api/v1/me").status_code == 401
    assert clients["alice"].get("/api/v1/users/me/tokens").json()[0]["revoked"] is True


def test_a_token_lives_at_most_a_year(clients: Clients) -> None:
    year = clients["carol"].post("/api/v1/users/me/tokens", json={"name": "yearly", "expires_in_days": 365})
    assert year.status_code == 201, year.text
    longer = clients["carol"].post("/api/v1/users/me/tokens", json={"name": "longer", "expires_in_days": 366})
    assert longer.status_code == 422


def test_admins_list_and_revoke_another_users_tokens_and_nobody_else_may(clients: Clients, desk: Desk) -> None:
    path = f"/api/v1/users/{desk.alice.id}/tokens"
    assert [c.get(path).status_code for c in (clients[n] for n in ("bob", "carol", "lena", "audrey"))] == [403] * 4
    tokens = clients["adam"].get(path).json()
    assert [t["name"] for t in tokens] == ["test"]
    assert clients["bob"].delete(f"{path}/{tokens[0]['id']}").status_code == 403
    assert clients["adam"].delete(f"/api/v1/users/{desk.bob.id}/tokens/{tokens[0]['id']}").status_code == 404
    assert clients["adam"].delete(f"{path}/{tokens[0]['id']}").status_code == 204
    assert clients["alice"].get("/api/v1/me").status_code == 401


def test_deactivating_a_user_over_the_api_revokes_their_tokens(clients: Clients, desk: Desk) -> None:
    path = f"/api/v1/users/{desk.dave.id}"
    assert clients["adam"].patch(path, json={"is_active": False}).status_code == 200
    assert clients["adam"].patch(path, json={"is_active": True}).status_code == 200
    assert clients["dave"].get("/api/v1/me").status_code == 401


def test_the_last_admin_deactivating_or_demoting_themself_gets_a_409(clients: Clients, desk: Desk) -> None:
    for change in ({"is_active": False}, {"role": "agent"}):
        response = clients["adam"].patch(f"/api/v1/users/{desk.adam.id}", json=change)
        assert response.status_code == 409, response.text
        assert "last active administrator" in response.json()["message"]
    assert clients["adam"].get("/api/v1/me").json()["role"] == "admin"


@contextmanager
def _signed_in(live_server: str, username: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=30) as browser:
        signed_in = browser.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert signed_in.status_code == 200
        yield browser


def test_changing_my_password_ends_my_other_sessions(live_server: str, desk: Desk) -> None:
    del desk
    with _signed_in(live_server, "carol") as here, _signed_in(live_server, "carol") as elsewhere:
        changed = here.post("/api/v1/users/me/password",
                            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
        assert changed.status_code == 204, changed.text
        assert here.get("/api/v1/me").status_code == 200
        assert elsewhere.get("/api/v1/me").status_code == 401
    with _signed_in(live_server, "carol", NEW_PASSWORD) as again:
        assert again.get("/api/v1/me").json()["username"] == "carol"


def test_a_wrong_current_password_is_refused_and_audited(clients: Clients, desk: Desk, session: Session) -> None:
    response = clients["bob"].post("/api/v1/users/me/password",
                                   json={"current_password": "not-my-password-1", "new_password": NEW_PASSWORD})
    assert response.status_code == 403
    assert response.json()["message"] == "The current password is wrong; your password was not changed."
    weak = clients["bob"].post("/api/v1/users/me/password", json={"current_password": PASSWORD,
                                                                   "new_password": "short"})
    assert weak.status_code == 422
    session.expire_all()
    refused = session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == str(desk.bob.id))).all()
    assert "user.password_change_refused" in refused
