"""Bulk actions on a real database: each ticket changes on its own, failures are reported per ticket and leave
nothing half-done, merges keep one ticket and note the others' requesters and messages on it."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.audit.models import AuditEvent
from deskpilot.errors import PermissionDenied
from deskpilot.tickets import bulk, service
from deskpilot.tickets.enums import MessageKind, Priority, TicketStatus
from deskpilot.tickets.schemas import BulkAssign, BulkMerge, BulkPriority, BulkQueue, BulkStatus, MessageCreate
from tests.factories import make_desk, open_ticket


def test_bulk_assign_changes_the_workable_tickets_and_reports_the_others(session: Session) -> None:
    desk = make_desk(session)
    mine = [open_ticket(session, desk, desk.alice, queue=desk.service_desk) for _ in range(2)]
    elsewhere = open_ticket(session, desk, desk.bob, queue=desk.network)
    carol = Principal.of(desk.carol)
    outcomes = bulk.apply(session, actor=carol, change=BulkAssign(
        action="assign", ticket_ids=[mine[0].id, elsewhere.id, mine[1].id, mine[0].id], assignee_id=desk.carol.id))
    assert [(o.ticket_id, o.ok) for o in outcomes] == [(mine[0].id, True), (elsewhere.id, False), (mine[1].id, True)]
    assert outcomes[1].error == "not_found" and f"DP-{elsewhere.id}" in (outcomes[1].message or "")
    assert all(t.assignee_id == desk.carol.id and t.status is TicketStatus.OPEN for t in mine)
    assert elsewhere.assignee_id is None
    summary = session.scalars(select(AuditEvent).where(AuditEvent.action == "ticket.bulk.assign")).one()
    assert summary.after["changed"] == [mine[0].id, mine[1].id]
    assert set(summary.after["failed"]) == {str(elsewhere.id)}
    assigned = session.scalars(select(AuditEvent.subject_id).where(AuditEvent.action == "ticket.assign")).all()
    assert sorted(assigned) == sorted(str(t.id) for t in mine)


def test_bulk_status_follows_the_lifecycle_per_ticket(session: Session) -> None:
    desk = make_desk(session)
    lena = Principal.of(desk.lena)
    resolved = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    service.change_status(session, actor=lena, ticket_id=resolved.id, target=TicketStatus.RESOLVED)
    still_open = open_ticket(session, desk, desk.bob, queue=desk.network)
    outcomes = bulk.apply(session, actor=lena, change=BulkStatus(
        action="status", ticket_ids=[resolved.id, still_open.id], status=TicketStatus.CLOSED))
    assert [o.ok for o in outcomes] == [True, False]
    assert outcomes[1].error == "conflict" and "cannot become closed" in (outcomes[1].message or "")
    assert resolved.status is TicketStatus.CLOSED and resolved.closed_at is not None
    assert still_open.status is TicketStatus.NEW


def test_bulk_priority_and_queue_replan_the_sla_and_are_audited(session: Session) -> None:
    desk = make_desk(session)
    lena = Principal.of(desk.lena)
    tickets = [open_ticket(session, desk, desk.alice, queue=desk.service_desk) for _ in range(3)]
    ids = [t.id for t in tickets]
    bulk.apply(session, actor=lena, change=BulkPriority(action="priority", ticket_ids=ids, priority=Priority.P1))
    bulk.apply(session, actor=lena, change=BulkQueue(action="queue", ticket_ids=ids, queue_id=desk.network.id))
    assert {(t.priority, t.queue_id) for t in tickets} == {(Priority.P1, desk.network.id)}
    updates = session.scalars(select(AuditEvent).where(AuditEvent.action == "ticket.update")).all()
    assert len(updates) == 6


def test_a_bulk_merge_keeps_one_ticket_and_notes_the_duplicates_requesters_and_messages(session: Session) -> None:
    desk = make_desk(session)
    carol = Principal.of(desk.carol)
    kept = open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject="VPN down")
    first = open_ticket(session, desk, desk.bob, queue=desk.service_desk, subject="VPN broken",
                        description="It fails with error 809.")
    service.add_message(session, actor=Principal.of(desk.bob), ticket_id=first.id,
                        data=MessageCreate(body="Still failing after a reboot."))
    second = open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject="No VPN")
    outcomes = bulk.apply(session, actor=carol, change=BulkMerge(
        action="merge", ticket_ids=[first.id, kept.id, second.id], into_ticket_id=kept.id))
    assert [(o.ticket_id, o.ok, o.changed) for o in outcomes] == [
        (first.id, True, True), (kept.id, True, False), (second.id, True, True)]
    assert first.status is second.status is TicketStatus.MERGED
    assert first.merged_into_id == second.merged_into_id == kept.id
    assert kept.status is TicketStatus.NEW
    notes = [m.body for m in service.get_messages(session, actor=carol, ticket_id=kept.id)
             if m.kind is MessageKind.INTERNAL_NOTE]
    assert len(notes) == 2
    assert f"DP-{first.id} (VPN broken) was merged into this ticket" in notes[0]
    assert "Its requester: Bob <bob@northwind.example>" in notes[0]
    assert "It fails with error 809." in notes[0] and "Still failing after a reboot." in notes[0]
    merged = session.scalars(select(AuditEvent.subject_id).where(AuditEvent.action == "ticket.merge")).all()
    assert sorted(merged) == sorted([str(first.id), str(second.id)])


def test_a_merge_into_a_closed_ticket_changes_nothing(session: Session) -> None:
    desk = make_desk(session)
    lena = Principal.of(desk.lena)
    closed = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    for target in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        service.change_status(session, actor=lena, ticket_id=closed.id, target=target)
    duplicate = open_ticket(session, desk, desk.bob, queue=desk.service_desk)
    outcomes = bulk.apply(session, actor=lena, change=BulkMerge(
        action="merge", ticket_ids=[duplicate.id], into_ticket_id=closed.id))
    assert not outcomes[0].ok and "merge into an open ticket" in (outcomes[0].message or "")
    assert duplicate.status is TicketStatus.NEW and duplicate.merged_into_id is None
    assert not [m for m in closed.messages if m.kind is MessageKind.INTERNAL_NOTE]


@pytest.mark.parametrize("who", ["alice", "audrey"])
def test_requesters_and_auditors_may_not_act_in_bulk(session: Session, who: str) -> None:
    desk = make_desk(session)
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    with pytest.raises(PermissionDenied):
        bulk.apply(session, actor=Principal.of(getattr(desk, who)), change=BulkStatus(
            action="status", ticket_ids=[ticket.id], status=TicketStatus.RESOLVED))
    assert ticket.status is TicketStatus.NEW
