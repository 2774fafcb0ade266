"""Abuse and noise over the real HTTP server: a requester past the hourly ticket limit gets 429 with a message
to act on, a lead lifts the limit (audited), and then the requester's ticket goes through."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.audit.models import AuditEvent
from tests.api.conftest import Clients
from tests.factories import Desk, open_ticket

LIMIT = 20  # the default DESKPILOT_REQUESTER_MAX_TICKETS_PER_HOUR of the test server


def _fill_the_hour(session: Session, desk: Desk) -> None:
    for number in range(LIMIT):
        open_ticket(session, desk, desk.alice, subject=f"Printer jam number {number}")
    session.commit()


def test_a_requester_past_the_hourly_ticket_limit_is_refused_until_a_lead_lifts_it(
        clients: Clients, session: Session, desk: Desk) -> None:
    _fill_the_hour(session, desk)
    new = {"subject": "Monitor flickers", "description": "Since this morning."}
    refused = clients["alice"].post("/api/v1/tickets", json=new)
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    assert "DESKPILOT_REQUESTER_MAX_TICKETS_PER_HOUR" in refused.json()["message"]
    assert "lift the limit" in refused.json()["message"]
    assert clients["carol"].post("/api/v1/tickets", json=new | {"requester_id": desk.alice.id}).status_code == 201

    lift = {"hours": 2, "reason": "Migrating her team's printers today"}
    assert clients["carol"].post(f"/api/v1/requesters/{desk.alice.id}/limit-lift", json=lift).status_code == 403
    lifted = clients["lena"].post(f"/api/v1/requesters/{desk.alice.id}/limit-lift", json=lift)
    assert lifted.status_code == 201, lifted.text
    assert lifted.json()["requester_id"] == desk.alice.id and lifted.json()["lifted_by_id"] == desk.lena.id
    assert clients["alice"].post("/api/v1/tickets", json=new).status_code == 201
    session.expire_all()
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "requester.limit_lifted")).one()
    assert event.actor_id == desk.lena.id and event.subject_id == str(desk.alice.id)
    assert event.after["reason"] == lift["reason"]


def test_a_lift_needs_a_reason_and_a_sane_length(clients: Clients, desk: Desk) -> None:
    path = f"/api/v1/requesters/{desk.alice.id}/limit-lift"
    assert clients["lena"].post(path, json={"hours": 2, "reason": ""}).status_code == 422
    assert clients["lena"].post(path, json={"hours": 10_000, "reason": "x"}).status_code == 422
    assert clients["lena"].post("/api/v1/requesters/999999/limit-lift",
                                json={"hours": 2, "reason": "x"}).status_code == 404
