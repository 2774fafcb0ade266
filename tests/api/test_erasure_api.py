"""The right to erasure over real HTTP: a dry run, a request by one admin, approval only by another."""

from __future__ import annotations

import httpx
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.enums import Role
from tests.api.conftest import Clients
from tests.factories import SYSTEM, Desk, make_user, open_ticket


def test_an_erasure_needs_a_second_admins_approval_and_other_roles_cannot_touch_it(
        clients: Clients, session: Session, desk: Desk, live_server: str) -> None:
    open_ticket(session, desk, desk.alice, description="call me on +1 555 0100 4242")
    ada = make_user(session, "ada", Role.ADMIN)
    _, secret = accounts.issue_token(session, actor=SYSTEM, user_id=ada.id, name="test")
    session.commit()
    adam = clients["adam"]
    plan = adam.post(f"/api/v1/users/{desk.alice.id}/erasure-plan", json={"identifiers": ["+1 555 0100 4242"]})
    assert plan.status_code == 200, plan.text
    assert {"source": "tickets", "kind": "tickets", "count": 1} in [
        {k: change[k] for k in ("source", "kind", "count")} for change in plan.json()]
    for name in ("alice", "carol", "lena", "audrey"):
        assert clients[name].post(f"/api/v1/users/{desk.alice.id}/erasures", json={}).status_code == 403, name
    withdrawn = adam.post(f"/api/v1/users/{desk.alice.id}/erasures", json={}).json()
    cancelled = adam.post(f"/api/v1/erasures/{withdrawn['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled", cancelled.text
    made = adam.post(f"/api/v1/users/{desk.alice.id}/erasures", json={"identifiers": ["+1 555 0100 4242"]})
    assert made.status_code == 201, made.text
    erasure = made.json()
    assert (erasure["status"], erasure["requested_by"], erasure["steps_done"]) == ("requested", "adam", [])
    again = adam.post(f"/api/v1/users/{desk.alice.id}/erasures", json={})
    assert again.status_code == 409 and "already requested" in again.json()["message"]
    own = adam.post(f"/api/v1/erasures/{erasure['id']}/approve")
    assert own.status_code == 403 and "another administrator" in own.json()["message"]
    with httpx.Client(base_url=live_server, headers={"Authorization": f"Bearer {secret}"}) as second:
        approved = second.post(f"/api/v1/erasures/{erasure['id']}/approve")
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["approved_by"]) == ("approved", "ada")
    listed = adam.get(f"/api/v1/users/{desk.alice.id}/erasures").json()
    assert [item["status"] for item in listed] == ["approved", "cancelled"] and listed[0]["steps_total"] > 5
    late = adam.post(f"/api/v1/erasures/{erasure['id']}/cancel")
    assert late.status_code == 409 and "not yet approved" in late.json()["message"]
    bad = adam.post(f"/api/v1/users/{desk.alice.id}/erasure-plan", json={"identifiers": ["x"]})
    assert bad.status_code == 422
