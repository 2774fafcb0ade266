"""Every route × every role, over real HTTP: who may do what, and what the others get."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.api.conftest import Clients
from tests.factories import Desk, open_ticket

ROLES = ("alice", "bob", "carol", "dave", "lena", "adam", "audrey", "anonymous")
# alice: requester who owns the ticket; bob: another requester; carol: agent whose team owns the
# ticket's queue; dave: agent of another team; lena: lead; adam: admin; audrey: auditor.


@dataclass
class Ctx:
    desk: Desk
    ticket: int
    other: int
    role: str


@dataclass
class Route:
    method: str
    path: Callable[[Ctx], str]
    body: Callable[[Ctx], Any] | None
    expect: dict[str, int]


def _statuses(*values: int) -> dict[str, int]:
    return dict(zip(ROLES, values, strict=True))


T = "/api/v1/tickets"
ROUTES: dict[str, Route] = {
    "create ticket": Route("POST", lambda c: T, lambda c: {"subject": "Printer offline"},
                           _statuses(201, 201, 201, 201, 201, 201, 403, 401)),
    "list tickets": Route("GET", lambda c: T, None, _statuses(200, 200, 200, 200, 200, 200, 200, 401)),
    "read ticket": Route("GET", lambda c: f"{T}/{c.ticket}", None,
                         _statuses(200, 404, 200, 404, 200, 200, 200, 401)),
    "update ticket": Route("PATCH", lambda c: f"{T}/{c.ticket}", lambda c: {"priority": "P2"},
                           _statuses(403, 404, 200, 404, 200, 200, 403, 401)),
    "assign ticket": Route("POST", lambda c: f"{T}/{c.ticket}/assign", lambda c: {"assignee_id": c.desk.carol.id},
                           _statuses(403, 404, 200, 404, 200, 200, 403, 401)),
    "change status": Route("POST", lambda c: f"{T}/{c.ticket}/status", lambda c: {"status": "in_progress"},
                           _statuses(403, 404, 200, 404, 200, 200, 403, 401)),
    "resolve": Route("POST", lambda c: f"{T}/{c.ticket}/resolve", None,
                     _statuses(403, 404, 200, 404, 200, 200, 403, 401)),
    "public reply": Route("POST", lambda c: f"{T}/{c.ticket}/messages", lambda c: {"body": "Any news?"},
                          _statuses(201, 404, 201, 404, 201, 201, 403, 401)),
    "internal note": Route("POST", lambda c: f"{T}/{c.ticket}/messages",
                           lambda c: {"body": "Checked the logs", "kind": "internal_note"},
                           _statuses(403, 404, 201, 404, 201, 201, 403, 401)),
    "read thread": Route("GET", lambda c: f"{T}/{c.ticket}/messages", None,
                         _statuses(200, 404, 200, 404, 200, 200, 200, 401)),
    "merge": Route("POST", lambda c: f"{T}/{c.other}/merge", lambda c: {"into_ticket_id": c.ticket},
                   _statuses(403, 403, 200, 404, 200, 200, 403, 401)),
    "re-triage": Route("POST", lambda c: f"{T}/{c.ticket}/triage", None,
                       _statuses(403, 404, 200, 404, 200, 200, 403, 401)),
    "draft a reply": Route("POST", lambda c: f"{T}/{c.ticket}/draft-reply", None,
                           _statuses(403, 404, 201, 404, 201, 201, 403, 401)),
    "me": Route("GET", lambda c: "/api/v1/me", None, _statuses(200, 200, 200, 200, 200, 200, 200, 401)),
    "list AI switches": Route("GET", lambda c: "/api/v1/governance/switches", None,
                              _statuses(403, 403, 403, 403, 200, 200, 403, 401)),
    "set an AI switch": Route("PUT", lambda c: "/api/v1/governance/switches",
                              lambda c: {"capability": "email_drafts", "mode": "suggest", "scope": "channel:email"},
                              _statuses(403, 403, 403, 403, 200, 200, 403, 401)),
    "list users": Route("GET", lambda c: "/api/v1/users", None, _statuses(403, 403, 200, 200, 200, 200, 200, 401)),
    "read user": Route("GET", lambda c: f"/api/v1/users/{c.desk.carol.id}", None,
                       _statuses(403, 403, 200, 200, 200, 200, 200, 401)),
    "create user": Route("POST", lambda c: "/api/v1/users",
                         lambda c: {"username": f"new-{c.role}", "email": f"new-{c.role}@northwind.example",
                                    "full_name": "New Person", "role": "requester"},
                         _statuses(403, 403, 403, 403, 403, 201, 403, 401)),
    "update user": Route("PATCH", lambda c: f"/api/v1/users/{c.desk.bob.id}", lambda c: {"is_vip": True},
                         _statuses(403, 403, 403, 403, 403, 200, 403, 401)),
    "issue token for alice": Route("POST", lambda c: f"/api/v1/users/{c.desk.alice.id}/tokens",
                                   lambda c: {"name": "x"}, _statuses(201, 403, 403, 403, 403, 201, 403, 401)),
    "list my tokens": Route("GET", lambda c: "/api/v1/users/me/tokens", None,
                            _statuses(200, 200, 200, 200, 200, 200, 200, 401)),
    "list alice's tokens": Route("GET", lambda c: f"/api/v1/users/{c.desk.alice.id}/tokens", None,
                                 _statuses(200, 403, 403, 403, 403, 200, 403, 401)),
    "list teams": Route("GET", lambda c: "/api/v1/teams", None, _statuses(403, 403, 200, 200, 200, 200, 200, 401)),
    "create team": Route("POST", lambda c: "/api/v1/teams", lambda c: {"name": f"Team {c.role}"},
                         _statuses(403, 403, 403, 403, 403, 201, 403, 401)),
    "list queues": Route("GET", lambda c: "/api/v1/queues", None,
                         _statuses(403, 403, 200, 200, 200, 200, 200, 401)),
    "create queue": Route("POST", lambda c: "/api/v1/queues", lambda c: {"name": f"Queue {c.role}"},
                          _statuses(403, 403, 403, 403, 403, 201, 403, 401)),
    "list calendars": Route("GET", lambda c: "/api/v1/calendars", None,
                            _statuses(403, 403, 200, 200, 200, 200, 200, 401)),
    "create calendar": Route("POST", lambda c: "/api/v1/calendars",
                             lambda c: {"name": f"cal {c.role}", "definition": {"timezone": "UTC", "hours": {
                                 "mon": ["09:00-17:00"]}, "holidays": []}},
                             _statuses(403, 403, 403, 403, 201, 201, 403, 401)),
    "list SLA policies": Route("GET", lambda c: "/api/v1/sla-policies", None,
                               _statuses(403, 403, 200, 200, 200, 200, 200, 401)),
    "read audit log": Route("GET", lambda c: "/api/v1/audit", None,
                            _statuses(403, 403, 403, 403, 403, 200, 200, 401)),
    "verify audit chain": Route("GET", lambda c: "/api/v1/audit/verify", None,
                                _statuses(403, 403, 403, 403, 403, 200, 200, 401)),
    "export audit log": Route("GET", lambda c: "/api/v1/audit/export", None,
                              _statuses(403, 403, 403, 403, 403, 200, 200, 401)),
    "bulk change": Route("POST", lambda c: f"{T}/bulk", lambda c: {"action": "priority", "priority": "P2",
                                                                   "ticket_ids": [c.ticket, c.other]},
                         _statuses(403, 403, 200, 200, 200, 200, 403, 401)),
    "bulk merge": Route("POST", lambda c: f"{T}/bulk", lambda c: {"action": "merge", "into_ticket_id": c.ticket,
                                                                  "ticket_ids": [c.other]},
                        _statuses(403, 403, 200, 200, 200, 200, 403, 401)),
    "set escalation path": Route("PUT", lambda c: f"/api/v1/queues/{c.desk.network.id}/escalation-path",
                                 lambda c: {"levels": [{"level": 1, "trigger": "breach", "notify_role": "lead"}]},
                                 _statuses(403, 403, 403, 403, 200, 200, 403, 401)),
    "list canned responses": Route("GET", lambda c: "/api/v1/canned-responses", None,
                                   _statuses(403, 403, 200, 200, 200, 200, 200, 401)),
    "create canned response": Route("POST", lambda c: "/api/v1/canned-responses",
                                    lambda c: {"title": f"Hello {c.role}", "body": "Hello {{requester.name}}"},
                                    _statuses(403, 403, 403, 403, 201, 201, 403, 401)),
}


@pytest.mark.parametrize("name", list(ROUTES))
def test_route_allows_exactly_the_roles_in_the_matrix(name: str, clients: Clients, desk: Desk,
                                                      session: Session) -> None:
    route = ROUTES[name]
    got: dict[str, int] = {}
    for role in ROLES:
        ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
        other = open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject="Duplicate VPN report")
        session.commit()
        ctx = Ctx(desk=desk, ticket=ticket.id, other=other.id, role=role)
        body = route.body(ctx) if route.body else None
        response = clients[role].request(route.method, route.path(ctx), json=body)
        got[role] = response.status_code
        if response.status_code >= 400:
            payload = response.json()
            assert set(payload) >= {"error", "message"}, payload
    assert got == route.expect


def test_requester_lists_only_their_own_tickets(clients: Clients, desk: Desk, session: Session) -> None:
    mine = open_ticket(session, desk, desk.alice)
    open_ticket(session, desk, desk.bob, subject="Bob's monitor flickers")
    session.commit()
    listed = clients["alice"].get("/api/v1/tickets").json()
    assert [t["id"] for t in listed["items"]] == [mine.id]
    assert listed["total"] == 1


def test_requester_never_sees_internal_notes(clients: Clients, desk: Desk, session: Session) -> None:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    session.commit()
    clients["carol"].post(f"/api/v1/tickets/{ticket.id}/messages", json={"body": "secret", "kind": "internal_note"})
    clients["carol"].post(f"/api/v1/tickets/{ticket.id}/messages", json={"body": "We are on it"})
    seen = [m["body"] for m in clients["alice"].get(f"/api/v1/tickets/{ticket.id}/messages").json()]
    assert seen == ["We are on it"]
    staff_seen = [m["body"] for m in clients["audrey"].get(f"/api/v1/tickets/{ticket.id}/messages").json()]
    assert staff_seen == ["secret", "We are on it"]
