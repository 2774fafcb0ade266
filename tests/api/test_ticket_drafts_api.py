"""The AI draft reply and re-triage of a ticket over HTTP: the API twins of the console's actions, with the same
permission check (work on the ticket), and drafts that cite only the approved versions."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.audit import decisions
from deskpilot.audit.decisions_models import AiFeedback
from deskpilot.audit.enums import DecisionKind, FeedbackAction
from deskpilot.tickets.models import Ticket
from tests.api.conftest import Clients
from tests.factories import Desk, open_ticket


def _ticket_with_draft(session: Session, desk: Desk) -> tuple[Ticket, int]:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    draft = decisions.record_decision(session, kind=DecisionKind.DRAFT, model_version="kb-hybrid/test",
                                      input_redacted=ticket.description, outputs={"text": "Try this.", "citations": []},
                                      confidence=0.0, abstained=True, subject_type="ticket", subject_id=ticket.id)
    session.commit()
    return ticket, draft.id


@pytest.mark.parametrize("who", ["alice", "audrey"])
def test_requester_or_auditor_cannot_retriage_draft_or_reject_a_draft_through_the_api(
        clients: Clients, session: Session, desk: Desk, who: str) -> None:
    ticket, draft_id = _ticket_with_draft(session, desk)
    client = clients[who]
    assert client.get(f"/api/v1/tickets/{ticket.id}").status_code == 200, "they can read the ticket"
    assert client.post(f"/api/v1/tickets/{ticket.id}/triage").status_code == 403
    assert client.post(f"/api/v1/tickets/{ticket.id}/draft-reply").status_code == 403
    rejected = client.post(f"/api/v1/tickets/{ticket.id}/draft-reply/{draft_id}/reject", json={"reason": "no"})
    assert rejected.status_code == 403
    session.expire_all()
    kinds = [d.kind for d in decisions.for_subject(session, subject_type="ticket", subject_id=ticket.id)]
    assert kinds == [DecisionKind.DRAFT]


def test_an_agent_drafts_a_reply_and_rejects_a_draft_through_the_api(clients: Clients, session: Session,
                                                                     desk: Desk) -> None:
    ticket, draft_id = _ticket_with_draft(session, desk)
    drafted = clients["carol"].post(f"/api/v1/tickets/{ticket.id}/draft-reply")
    assert drafted.status_code == 201, drafted.text
    body = drafted.json()
    assert body["abstained"] is True and body["sources"] == [], "the desk has no approved article"
    assert "please answer it yourself" in body["text"]
    rejected = clients["carol"].post(f"/api/v1/tickets/{ticket.id}/draft-reply/{draft_id}/reject",
                                     json={"reason": "too vague"})
    assert rejected.status_code == 201, rejected.text
    assert rejected.json()["action"] == FeedbackAction.REJECTED
    session.expire_all()
    found = decisions.for_subject(session, subject_type="ticket", subject_id=ticket.id, kind=DecisionKind.DRAFT)
    assert [d.id for d in found] == [draft_id, body["decision_id"]]
    assert session.scalars(select(AiFeedback.reason).where(AiFeedback.decision_id == draft_id)).one() == "too vague"


def test_a_draft_of_another_ticket_cannot_be_rejected_through_this_one(clients: Clients, session: Session,
                                                                        desk: Desk) -> None:
    _, draft_id = _ticket_with_draft(session, desk)
    other = open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject="Printer jammed")
    session.commit()
    response = clients["carol"].post(f"/api/v1/tickets/{other.id}/draft-reply/{draft_id}/reject", json={})
    assert response.status_code == 404


def test_staff_save_and_list_their_own_queue_views_and_requesters_cannot(clients: Clients, desk: Desk) -> None:
    saved = clients["carol"].post("/api/v1/tickets/views", json={"name": "P1s", "filters": {"priority": "P1",
                                                                                            "evil": "x"}})
    assert saved.status_code == 201, saved.text
    assert saved.json()["filters"] == {"priority": "P1"}
    again = clients["carol"].post("/api/v1/tickets/views", json={"name": "P1s", "filters": {"priority": "P2"}})
    assert again.status_code == 201
    assert [(v["name"], v["filters"]) for v in clients["carol"].get("/api/v1/tickets/views").json()] == [
        ("P1s", {"priority": "P2"})]
    assert clients["lena"].get("/api/v1/tickets/views").json() == []
    assert clients["alice"].post("/api/v1/tickets/views", json={"name": "x"}).status_code == 403
