"""POST /api/v1/tickets/bulk over real HTTP: one change to several tickets, a result per ticket, RBAC as a whole."""

from __future__ import annotations

from sqlalchemy.orm import Session

from deskpilot.tickets.models import Ticket
from tests.api.conftest import Clients
from tests.factories import Desk, open_ticket

BULK = "/api/v1/tickets/bulk"


def test_bulk_assign_reports_each_ticket_and_changes_only_the_workable_ones(clients: Clients, desk: Desk,
                                                                             session: Session) -> None:
    own = [open_ticket(session, desk, desk.alice, queue=desk.service_desk).id for _ in range(2)]
    other = open_ticket(session, desk, desk.bob, queue=desk.network).id
    session.commit()
    answer = clients["carol"].post(BULK, json={"action": "assign", "ticket_ids": [*own, other],
                                               "assignee_id": desk.carol.id})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["action"], body["changed"], body["failed"]) == ("assign", 2, 1)
    assert [(i["ticket_id"], i["ok"], i["error"]) for i in body["items"]] == [
        (own[0], True, None), (own[1], True, None), (other, False, "not_found")]
    for ticket_id in own:
        assert clients["carol"].get(f"/api/v1/tickets/{ticket_id}").json()["assignee_id"] == desk.carol.id
    assert clients["lena"].get(f"/api/v1/tickets/{other}").json()["assignee_id"] is None


def test_bulk_merge_keeps_one_and_merges_the_rest(clients: Clients, desk: Desk, session: Session) -> None:
    ids = [open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject=f"Printer {n}").id
           for n in range(3)]
    session.commit()
    answer = clients["lena"].post(BULK, json={"action": "merge", "ticket_ids": ids, "into_ticket_id": ids[0]})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["changed"], answer.json()["failed"]) == (2, 0)
    session.expire_all()
    merged = [session.get(Ticket, i) for i in ids[1:]]
    assert all(t is not None and t.status == "merged" and t.merged_into_id == ids[0] for t in merged)
    notes = clients["lena"].get(f"/api/v1/tickets/{ids[0]}/messages").json()
    assert sum("was merged into this ticket" in n["body"] for n in notes) == 2


def test_bulk_status_reports_lifecycle_refusals(clients: Clients, desk: Desk, session: Session) -> None:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk).id
    session.commit()
    answer = clients["carol"].post(BULK, json={"action": "status", "ticket_ids": [ticket], "status": "closed"})
    assert answer.status_code == 200
    item = answer.json()["items"][0]
    assert item["ok"] is False and item["error"] == "conflict" and "Allowed next" in item["message"]


def test_requesters_auditors_and_strangers_are_refused_and_bad_bodies_are_422(clients: Clients, desk: Desk,
                                                                              session: Session) -> None:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk).id
    session.commit()
    change = {"action": "priority", "ticket_ids": [ticket], "priority": "P1"}
    assert clients["alice"].post(BULK, json=change).status_code == 403
    assert clients["audrey"].post(BULK, json=change).status_code == 403
    assert clients["anonymous"].post(BULK, json=change).status_code == 401
    assert clients["carol"].post(BULK, json={**change, "action": "explode"}).status_code == 422
    assert clients["carol"].post(BULK, json={**change, "ticket_ids": []}).status_code == 422
    assert clients["carol"].post(BULK, json={"action": "merge", "ticket_ids": [ticket]}).status_code == 422
    assert clients["carol"].get(f"/api/v1/tickets/{ticket}").json()["priority"] != "P1"
