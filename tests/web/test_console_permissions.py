"""The console's AI actions check the same permission as their API twins: a requester or an auditor who can read a
ticket may not re-triage it, draft a reply to it or reject its draft; an auditor sees no write forms."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.audit import decisions
from deskpilot.audit.decisions_models import AiDecision, AiFeedback
from deskpilot.audit.enums import DecisionKind, FeedbackAction
from deskpilot.tickets.models import SavedQueueView, Ticket
from tests.factories import Desk, open_ticket
from tests.web.conftest import PageClient

WRITE_FORM = re.compile(r'<form method="post" action="/console/tickets/')


def _ticket_with_draft(session: Session, desk: Desk) -> tuple[Ticket, int]:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    draft = decisions.record_decision(session, kind=DecisionKind.DRAFT, model_version="kb-hybrid/test",
                                      input_redacted=ticket.description, outputs={"text": "Try this.", "citations": []},
                                      confidence=0.0, abstained=True, subject_type="ticket", subject_id=ticket.id)
    session.commit()
    return ticket, draft.id


def _decisions(session: Session, ticket: Ticket) -> list[tuple[DecisionKind, int]]:
    session.expire_all()
    return [(d.kind, d.id) for d in decisions.for_subject(session, subject_type="ticket", subject_id=ticket.id)]


@pytest.mark.parametrize("who", ["alice", "audrey"])
@pytest.mark.parametrize("action", ["triage", "draft", "draft/reject"])
def test_requester_or_auditor_posting_console_triage_or_draft_actions_is_refused(
        browser: PageClient, session: Session, desk: Desk, who: str, action: str) -> None:
    ticket, draft_id = _ticket_with_draft(session, desk)
    before = _decisions(session, ticket)
    browser.sign_in(who)
    response = browser.post_form(f"/console/tickets/{ticket.id}/{action}",
                                 {"draft_id": str(draft_id), "reason": "wrong"}, from_page=f"/tickets/{ticket.id}")
    assert response.status_code == 403, response.text
    assert _decisions(session, ticket) == before
    assert session.scalar(select(AiFeedback).where(AiFeedback.decision_id == draft_id)) is None


def test_an_agent_still_triages_drafts_and_rejects_drafts_from_the_console(browser: PageClient, session: Session,
                                                                           desk: Desk) -> None:
    ticket, draft_id = _ticket_with_draft(session, desk)
    browser.sign_in("carol")
    triaged = browser.post_form(f"/console/tickets/{ticket.id}/triage", {}, from_page="/console")
    assert triaged.status_code == 303, triaged.text
    drafted = browser.post_form(f"/console/tickets/{ticket.id}/draft", {}, from_page="/console")
    assert drafted.status_code == 303, drafted.text
    new_draft = int(re.search(r"\?draft=(\d+)", drafted.headers["location"]).group(1))  # type: ignore[union-attr]
    rejected = browser.post_form(f"/console/tickets/{ticket.id}/draft/reject",
                                 {"draft_id": str(draft_id), "reason": "cites the wrong article"}, from_page="/console")
    assert rejected.status_code == 303, rejected.text
    kinds = [kind for kind, _ in _decisions(session, ticket)]
    assert kinds.count(DecisionKind.TRIAGE) == 1 and kinds.count(DecisionKind.DRAFT) == 2
    assert session.get(AiDecision, new_draft) is not None
    feedback = session.scalars(select(AiFeedback).where(AiFeedback.decision_id == draft_id)).one()
    assert (feedback.action, feedback.reason) == (FeedbackAction.REJECTED, "cites the wrong article")
    page = browser.get(f"/console/tickets/{ticket.id}?draft={new_draft}")
    assert page.status_code == 200 and len(WRITE_FORM.findall(page.text)) >= 8


def test_an_auditor_s_console_page_has_no_write_forms(browser: PageClient, session: Session, desk: Desk) -> None:
    ticket, draft_id = _ticket_with_draft(session, desk)
    browser.sign_in("audrey")
    page = browser.get(f"/console/tickets/{ticket.id}?draft={draft_id}")
    assert page.status_code == 200, page.text
    assert ticket.subject in page.text
    assert WRITE_FORM.findall(page.text) == []
    assert "Draft a reply with AI" not in page.text and "Triage again" not in page.text


def test_a_requester_cannot_save_a_console_queue_view(browser: PageClient, session: Session, desk: Desk) -> None:
    browser.sign_in("alice")
    response = browser.post_form("/console/views", {"name": "Mine", "query": "status=open"}, from_page="/tickets")
    assert response.status_code == 403, response.text
    assert session.scalar(select(SavedQueueView)) is None


def test_an_agent_s_saved_view_keeps_only_queue_filters_and_is_listed(browser: PageClient, session: Session,
                                                                     desk: Desk) -> None:
    browser.sign_in("carol")
    saved = browser.post_form("/console/views", {"name": " My breaches ", "query": "status=open&evil=1&sort=due"},
                              from_page="/console")
    assert saved.status_code == 303 and saved.headers["location"] == "/console?status=open&sort=due"
    view = session.scalars(select(SavedQueueView)).one()
    assert (view.owner_id, view.name, view.filters) == (desk.carol.id, "My breaches", {"status": "open", "sort": "due"})
    assert '<a href="/console?status=open&amp;sort=due">My breaches</a>' in browser.get("/console").text
