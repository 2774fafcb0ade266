"""Ticket use cases on a real database: creation, priority matrix, replies, lifecycle, merge, search."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.errors import Conflict, InvalidInput, PermissionDenied
from deskpilot.tickets import service
from deskpilot.tickets.enums import Channel, Level, MessageKind, Priority, TicketStatus
from deskpilot.tickets.schemas import MessageCreate, TicketCreate, TicketUpdate
from tests.factories import make_desk, open_ticket


def test_priority_comes_from_impact_and_urgency(session: Session) -> None:
    desk = make_desk(session)
    ticket = service.create(session, actor=Principal.of(desk.alice), data=TicketCreate(
        subject="Whole office offline", impact=Level.HIGH, urgency=Level.HIGH, channel=Channel.PORTAL))
    assert ticket.priority is Priority.P1
    assert ticket.status is TicketStatus.NEW
    assert ticket.requester_id == desk.alice.id


def test_requester_cannot_set_priority_or_queue(session: Session) -> None:
    desk = make_desk(session)
    with pytest.raises(PermissionDenied):
        service.create(session, actor=Principal.of(desk.alice),
                       data=TicketCreate(subject="x", priority=Priority.P1))


def test_agent_reply_sets_first_response_and_opens_ticket(session: Session) -> None:
    desk = make_desk(session)
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    service.add_message(session, actor=Principal.of(desk.carol), ticket_id=ticket.id,
                        data=MessageCreate(body="Looking into it", channel=Channel.EMAIL))
    assert ticket.first_responded_at is not None
    assert ticket.status is TicketStatus.OPEN
    assert ticket.messages[-1].channel is Channel.EMAIL


def test_internal_note_does_not_count_as_first_response(session: Session) -> None:
    desk = make_desk(session)
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    service.add_message(session, actor=Principal.of(desk.carol), ticket_id=ticket.id,
                        data=MessageCreate(body="note", kind=MessageKind.INTERNAL_NOTE))
    assert ticket.first_responded_at is None


def test_requester_reply_wakes_a_ticket_waiting_on_them(session: Session) -> None:
    desk = make_desk(session)
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    carol = Principal.of(desk.carol)
    service.change_status(session, actor=carol, ticket_id=ticket.id, target=TicketStatus.WAITING_ON_CUSTOMER)
    service.add_message(session, actor=Principal.of(desk.alice), ticket_id=ticket.id,
                        data=MessageCreate(body="Here is the screenshot"))
    assert ticket.status is TicketStatus.OPEN
    assert ticket.pauses[0].resumed_at is not None


def test_resolve_reopen_close_keeps_timestamps_and_counts_reopens(session: Session) -> None:
    desk = make_desk(session)
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    carol, alice = Principal.of(desk.carol), Principal.of(desk.alice)
    service.change_status(session, actor=carol, ticket_id=ticket.id, target=TicketStatus.RESOLVED)
    assert ticket.resolved_at is not None
    service.change_status(session, actor=alice, ticket_id=ticket.id, target=TicketStatus.OPEN)
    assert ticket.resolved_at is None and ticket.reopen_count == 1
    service.change_status(session, actor=carol, ticket_id=ticket.id, target=TicketStatus.RESOLVED)
    service.change_status(session, actor=alice, ticket_id=ticket.id, target=TicketStatus.CLOSED)
    assert ticket.closed_at is not None
    with pytest.raises(Conflict):
        service.change_status(session, actor=carol, ticket_id=ticket.id, target=TicketStatus.OPEN)
    with pytest.raises(InvalidInput):
        service.add_message(session, actor=alice, ticket_id=ticket.id, data=MessageCreate(body="hello?"))


def test_requester_cannot_resolve_their_own_open_ticket(session: Session) -> None:
    desk = make_desk(session)
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    with pytest.raises(PermissionDenied):
        service.change_status(session, actor=Principal.of(desk.alice), ticket_id=ticket.id,
                              target=TicketStatus.RESOLVED)


def test_merge_marks_duplicate_and_notes_the_survivor(session: Session) -> None:
    desk = make_desk(session)
    original = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    duplicate = open_ticket(session, desk, desk.bob, queue=desk.service_desk, subject="VPN keeps dropping")
    survivor = service.merge(session, actor=Principal.of(desk.carol), ticket_id=duplicate.id,
                             into_ticket_id=original.id)
    assert survivor.id == original.id
    assert duplicate.status is TicketStatus.MERGED and duplicate.merged_into_id == original.id
    assert any(f"DP-{duplicate.id}" in m.body for m in original.messages)
    with pytest.raises(InvalidInput):
        service.merge(session, actor=Principal.of(desk.carol), ticket_id=original.id, into_ticket_id=original.id)


def test_update_priority_by_impact_replans_and_assign_requires_staff(session: Session) -> None:
    desk = make_desk(session)
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    carol = Principal.of(desk.carol)
    service.update(session, actor=carol, ticket_id=ticket.id, data=TicketUpdate(impact=Level.HIGH,
                                                                                 urgency=Level.HIGH))
    assert ticket.priority is Priority.P1
    with pytest.raises(InvalidInput, match="only agents"):
        service.assign(session, actor=carol, ticket_id=ticket.id, assignee_id=desk.bob.id)
    service.assign(session, actor=carol, ticket_id=ticket.id, assignee_id=desk.carol.id)
    assert ticket.assignee_id == desk.carol.id and ticket.status is TicketStatus.OPEN


def test_search_filters_and_paginates(session: Session) -> None:
    desk = make_desk(session)
    for i in range(7):
        open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject=f"Printer jam on floor {i}")
    open_ticket(session, desk, desk.alice, queue=desk.network, subject="VPN down")
    lena = Principal.of(desk.lena)
    rows, total = service.get_all(session, actor=lena, search="printer FLOOR", limit=3, offset=3)
    assert total == 7 and len(rows) == 3
    rows, total = service.get_all(session, actor=lena, queue_id=desk.network.id)
    assert [r.subject for r in rows] == ["VPN down"]
    rows, total = service.get_all(session, actor=Principal.of(desk.carol), search="vpn")
    assert total == 0, "carol's team does not own the Network queue"
