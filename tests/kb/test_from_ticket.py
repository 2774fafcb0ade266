"""Drafting an article from a resolved ticket: problem, steps, resolution; PII removed; into review."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.errors import Conflict, InvalidInput, PermissionDenied
from deskpilot.kb import service
from deskpilot.kb.enums import KbVersionStatus
from deskpilot.kb.from_ticket import draft_from_ticket
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import MessageKind, TicketStatus
from deskpilot.tickets.models import Ticket
from deskpilot.tickets.schemas import MessageCreate
from tests.factories import Desk, open_ticket


def resolved_ticket(session: Session, desk: Desk) -> Ticket:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject="Outlook stopped syncing",
                         description="Since today no new mail arrives. Reach me at alice.home@example.org or "
                                     "+49 170 1234567.")
    carol = Principal.of(desk.carol)
    tickets.add_message(session, actor=carol, ticket_id=ticket.id, data=MessageCreate(
        body="Please close Outlook. Then open it again while holding Ctrl to start in safe mode."))
    tickets.add_message(session, actor=carol, ticket_id=ticket.id, data=MessageCreate(
        kind=MessageKind.INTERNAL_NOTE, body="Mailbox was at 100 GB, archive policy not applied."))
    tickets.add_message(session, actor=carol, ticket_id=ticket.id, data=MessageCreate(
        body="I enabled the online archive; mail syncs again. Your temporary password is hunter2pass."))
    tickets.change_status(session, actor=carol, ticket_id=ticket.id, target=TicketStatus.RESOLVED)
    return ticket


def test_draft_from_resolved_ticket_enters_review_without_pii(session: Session, desk: Desk) -> None:
    ticket = resolved_ticket(session, desk)
    version = draft_from_ticket(session, actor=Principal.of(desk.carol), ticket_id=ticket.id)
    assert version.status is KbVersionStatus.IN_REVIEW and version.source_ticket_id == ticket.id
    article = version.article
    assert article.slug == f"outlook-stopped-syncing-dp{ticket.id}" and article.queue_id == desk.service_desk.id
    body = version.body
    assert "## Problem" in body and "## Steps" in body and "## Resolution" in body
    assert "1. Please close Outlook." in body
    assert "2. Then open it again while holding Ctrl to start in safe mode." in body
    assert "3. Mailbox was at 100 GB, archive policy not applied." in body
    assert "I enabled the online archive; mail syncs again." in body.split("## Resolution")[1]
    assert "alice.home@example.org" not in body and "1234567" not in body and "hunter2pass" not in body
    assert "[EMAIL]" in body and "[PHONE]" in body
    assert service.approved_documents(session) == []


def test_ticket_must_be_resolved_and_drafted_once(session: Session, desk: Desk) -> None:
    carol = Principal.of(desk.carol)
    open_one = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    with pytest.raises(InvalidInput, match="once it is resolved"):
        draft_from_ticket(session, actor=carol, ticket_id=open_one.id)
    ticket = resolved_ticket(session, desk)
    draft_from_ticket(session, actor=carol, ticket_id=ticket.id)
    with pytest.raises(Conflict, match="already drafted"):
        draft_from_ticket(session, actor=carol, ticket_id=ticket.id)


def test_requester_cannot_draft_from_own_ticket(session: Session, desk: Desk) -> None:
    ticket = resolved_ticket(session, desk)
    with pytest.raises(PermissionDenied):
        draft_from_ticket(session, actor=Principal.of(desk.alice), ticket_id=ticket.id)
