"""Importing historical tickets (demo data, ITSM exports) with their original times and outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.errors import InvalidInput
from deskpilot.tickets import facts, sla
from deskpilot.tickets.enums import Channel, MessageKind, Priority, TicketStatus
from deskpilot.tickets.models import SlaPause, Ticket, TicketMessage


@dataclass(frozen=True)
class HistoricalReply:
    """A later message of a ticket from an ITSM: a public reply or an internal note, with its author and time."""

    author_id: int | None
    body: str
    internal: bool
    created_at: datetime


@dataclass(frozen=True)
class HistoricalTicket:
    external_id: str
    subject: str
    description: str
    category: str | None
    queue_id: int | None
    priority: Priority
    channel: Channel
    status: TicketStatus
    created_at: datetime
    requester_id: int
    assignee_id: int | None
    first_responded_at: datetime | None
    resolved_at: datetime | None
    resolution: str | None
    replies: tuple[HistoricalReply, ...] = ()
    reopens: int = 0  # times the requester reopened it before its final resolution


def _ticket(record: HistoricalTicket) -> Ticket:
    closed = record.status is TicketStatus.CLOSED
    ticket = Ticket(
        external_id=record.external_id, subject=record.subject, description=record.description,
        category=record.category, queue_id=record.queue_id, priority=record.priority, channel=record.channel,
        status=record.status, created_at=record.created_at, updated_at=record.resolved_at or record.created_at,
        requester_id=record.requester_id, assignee_id=record.assignee_id,
        first_responded_at=record.first_responded_at, resolved_at=record.resolved_at,
        closed_at=record.resolved_at if closed else None, reopen_count=record.reopens,
    )
    ticket.messages.append(TicketMessage(author_id=record.requester_id, kind=MessageKind.PUBLIC_REPLY,
                                         channel=record.channel, body=record.description or record.subject,
                                         created_at=record.created_at))
    for reply in record.replies:
        ticket.messages.append(TicketMessage(
            author_id=reply.author_id, kind=MessageKind.INTERNAL_NOTE if reply.internal else MessageKind.PUBLIC_REPLY,
            channel=record.channel, body=reply.body, created_at=reply.created_at))
    if record.status is TicketStatus.WAITING_ON_CUSTOMER:
        # The clock has been stopped since the desk asked its question.
        ticket.pauses.append(SlaPause(paused_at=record.first_responded_at or record.created_at))
    if record.resolution and record.resolved_at:
        ticket.messages.append(TicketMessage(author_id=record.assignee_id, kind=MessageKind.PUBLIC_REPLY,
                                             channel=record.channel, body=record.resolution,
                                             created_at=record.resolved_at))
    ticket.agent_replies = sum(facts.is_agent_reply(m, record.requester_id) for m in ticket.messages)
    facts.refresh_paused(ticket)
    return ticket


def import_history(session: Session, *, actor: Principal, records: list[HistoricalTicket]) -> int:
    """Add tickets that already happened; skips external ids already present, so re-running is safe."""
    require(actor, Permission.TICKET_WORK_ALL_QUEUES)
    ids = [r.external_id for r in records]
    if len(ids) != len(set(ids)):
        raise InvalidInput("Duplicate external ids in the import; nothing was imported.")
    known = set(session.scalars(select(Ticket.external_id).where(Ticket.external_id.in_(ids)))) if ids else set()
    tickets = []
    for record in records:
        if record.external_id in known:
            continue
        if record.resolved_at and record.resolved_at < record.created_at:
            raise InvalidInput(f"{record.external_id}: resolved before it was created; nothing was imported.")
        tickets.append(_ticket(record))
    sla.attach_policies(session, tickets=tickets)  # before they join the session: its lookups flush nothing
    # One flush writes them all, a few multi-row INSERTs per table instead of several statements per ticket.
    session.add_all(tickets)
    session.flush()
    added = len(tickets)
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="ticket.import_history",
                 subject_type="ticket", subject_id="*", after={"imported": added, "skipped": len(records) - added})
    return added
