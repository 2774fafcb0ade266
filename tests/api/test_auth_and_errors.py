"""Sign-in, sessions, rate limiting, health checks, and bad input answered with clear JSON errors."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.audit.models import AuditEvent
from deskpilot.tickets.models import Ticket
from tests.api.conftest import Clients
from tests.factories import PASSWORD, Desk


def test_password_sign_in_sets_a_session_cookie_that_authenticates(live_server: str, desk: Desk) -> None:
    with httpx.Client(base_url=live_server, timeout=60) as browser:
        response = browser.post("/api/v1/auth/login", json={"username": "carol", "password": PASSWORD})
        assert response.status_code == 200
        assert response.json()["role"] == "agent"
        me = browser.get("/api/v1/me")
        assert me.json()["username"] == "carol", me.text
        browser.post("/api/v1/auth/logout")
        assert browser.get("/api/v1/me").status_code == 401


def test_failed_sign_ins_are_rate_limited(live_server: str, desk: Desk) -> None:
    with httpx.Client(base_url=live_server, timeout=60) as browser:
        codes = [browser.post("/api/v1/auth/login", json={"username": "bob", "password": "wrong-password-1"})
                 .status_code for _ in range(6)]
        assert codes == [401] * 5 + [429]
        locked = browser.post("/api/v1/auth/login", json={"username": "bob", "password": PASSWORD})
        assert locked.status_code == 429
        assert "Wait a minute" in locked.json()["message"]


def test_unknown_user_and_wrong_password_look_the_same(live_server: str, desk: Desk) -> None:
    with httpx.Client(base_url=live_server, timeout=60) as browser:
        a = browser.post("/api/v1/auth/login", json={"username": "nobody", "password": "x"}).json()
        b = browser.post("/api/v1/auth/login", json={"username": "alice", "password": "x"}).json()
    assert a == b == {"error": "not_authenticated", "message": "Unknown username or wrong password."}


def test_health_and_readiness(clients: Clients) -> None:
    assert clients["anonymous"].get("/healthz").json() == {"status": "ok"}
    ready = clients["anonymous"].get("/readyz").json()
    assert ready["status"] == "ready" and ready["schema_revision"]


def test_invalid_ticket_input_is_a_clear_422_and_changes_nothing(clients: Clients, session: Session) -> None:
    before = session.scalar(select(func.count()).select_from(Ticket))
    audit_before = session.scalar(select(func.count()).select_from(AuditEvent))
    cases = [
        {"subject": ""},
        {"subject": "x" * 301},
        {"subject": "ok", "description": "d" * 100_001},
        {"subject": "nul \x00 byte"},
        {"subject": "ok", "impact": "catastrophic"},
        {"subject": "ok", "unknown_field": 1},
        {"subject": "ok", "queue_id": 2**40},
    ]
    for body in cases:
        response = clients["carol"].post("/api/v1/tickets", json=body)
        assert response.status_code == 422, body
        payload = response.json()
        assert payload["error"] == "invalid_input" and payload["message"], payload
    garbage = clients["carol"].post("/api/v1/tickets", content=b"{not json",
                                    headers={"content-type": "application/json"})
    assert garbage.status_code == 422
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Ticket)) == before
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == audit_before


def test_invalid_transition_is_409_with_the_allowed_next_steps(clients: Clients) -> None:
    created = clients["lena"].post("/api/v1/tickets", json={"subject": "Monitor flickers"}).json()
    clients["lena"].post(f"/api/v1/tickets/{created['id']}/resolve")
    clients["lena"].post(f"/api/v1/tickets/{created['id']}/close")
    response = clients["lena"].post(f"/api/v1/tickets/{created['id']}/reopen")
    assert response.status_code == 409
    assert response.json() == {
        "error": "conflict",
        "message": "A ticket that is closed cannot become open. Allowed next: none (it is final).",
    }


def test_unknown_routes_and_ids_are_json_404(clients: Clients) -> None:
    assert clients["adam"].get("/api/v1/nope").json()["error"] == "not_found"
    response = clients["adam"].get("/api/v1/tickets/999999")
    assert response.status_code == 404 and response.json()["message"] == "No ticket DP-999999 that you can see."
    assert clients["adam"].get("/api/v1/tickets/0").status_code == 422
