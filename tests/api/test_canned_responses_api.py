"""/api/v1/canned-responses over real HTTP: CRUD for leads and admins, use by agents, nothing for requesters."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.api.conftest import Clients
from tests.factories import Desk, open_ticket

API = "/api/v1/canned-responses"


def test_a_lead_manages_responses_and_an_agent_fills_one_for_a_ticket(clients: Clients, desk: Desk,
                                                                      session: Session) -> None:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject="Printer jam").id
    session.commit()
    created = clients["lena"].post(API, json={"title": "Printer", "body": "Hi {{requester.name}}, {{ticket.ref}}.",
                                              "queue_id": desk.service_desk.id})
    assert created.status_code == 201, created.text
    response_id = created.json()["id"]
    assert [r["id"] for r in clients["carol"].get(API, params={"queue_id": desk.service_desk.id}).json()] == [
        response_id]
    assert clients["carol"].get(API, params={"queue_id": desk.network.id}).json() == []
    filled = clients["carol"].get(f"{API}/{response_id}/filled", params={"ticket_id": ticket})
    assert filled.status_code == 200 and filled.json()["text"] == f"Hi Alice, DP-{ticket}."
    replaced = clients["adam"].put(f"{API}/{response_id}", json={"title": "Printer jam", "body": "Fixed."})
    assert replaced.status_code == 200 and replaced.json()["queue_id"] is None
    assert clients["adam"].delete(f"{API}/{response_id}").status_code == 204
    assert clients["adam"].get(f"{API}/{response_id}").status_code == 404


def test_roles_and_bad_input(clients: Clients, desk: Desk) -> None:
    body = {"title": "Hello", "body": "Hello {{requester.name}}"}
    for who, status in (("carol", 403), ("audrey", 403), ("alice", 403), ("anonymous", 401)):
        assert clients[who].post(API, json=body).status_code == status, who
    assert clients["alice"].get(API).status_code == 403
    assert clients["audrey"].get(API).status_code == 200
    unknown = clients["lena"].post(API, json={"title": "Typo", "body": "Hi {{requester.nam}}"})
    assert unknown.status_code == 422 and "{{requester.nam}}" in unknown.json()["message"]
    assert clients["lena"].post(API, json={"title": "", "body": "x"}).status_code == 422
    assert clients["lena"].post(API, json={**body, "queue_id": 999_999}).status_code == 422
    assert clients["lena"].post(API, json=body).status_code == 201
    assert clients["adam"].post(API, json=body).status_code == 409
    del desk
