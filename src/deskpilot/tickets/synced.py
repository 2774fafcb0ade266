"""Use cases of a ticket kept in step with an ITSM (connectors/sync.py): opening it from the ITSM's record, taking
the ITSM's field changes along the desk's lifecycle, and appending the ITSM's comments. Services flush; the sync's
unit of work commits."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.clock import utcnow
from deskpilot.tickets import facts
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import Channel, MessageKind, Priority, TicketStatus
from deskpilot.tickets.history import HistoricalTicket, import_history
from deskpilot.tickets.models import Ticket, TicketMessage
from deskpilot.tickets.schemas import TicketUpdate

_WORKING = frozenset({TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.WAITING_ON_CUSTOMER})
STAGE = {TicketStatus.NEW: 0, **dict.fromkeys(_WORKING, 1), TicketStatus.RESOLVED: 2, TicketStatus.CLOSED: 3,
         TicketStatus.MERGED: 3}


def regresses(current: TicketStatus, target: TicketStatus) -> bool:
    """Whether moving from `current` to `target` goes backwards: to an earlier stage (new < working < resolved <
    closed), except reopening a resolved ticket, which the lifecycle allows."""
    if current is TicketStatus.RESOLVED and target in _WORKING:
        return False
    return STAGE[target] < STAGE[current]


def status_path(current: TicketStatus, target: TicketStatus) -> list[TicketStatus]:
    """The lifecycle steps from `current` to `target` (not a regression): a reopened ticket passes `open`, a ticket
    closed without being resolved passes `resolved`."""
    if current is target:
        return []
    steps = [target]
    if target is TicketStatus.CLOSED and current is not TicketStatus.RESOLVED:
        steps.insert(0, TicketStatus.RESOLVED)
    if current is TicketStatus.RESOLVED and target in _WORKING - {TicketStatus.OPEN}:
        steps.insert(0, TicketStatus.OPEN)
    return steps


def open_synced(session: Session, *, actor: Principal, record: HistoricalTicket) -> Ticket:
    """A ticket still being worked in the ITSM, opened in the desk with its times, comments and status."""
    import_history(session, actor=actor, records=[replace(record, resolved_at=None, resolution=None)])
    return session.scalars(select(Ticket).where(Ticket.external_id == record.external_id)).one()


def change_synced(session: Session, *, actor: Principal, ticket_id: int, status: TicketStatus | None = None,
                  priority: Priority | None = None, category: str | None = None, queue_id: int | None = None,
                  assignee_id: int | None = None) -> Ticket:
    """Take the ITSM's values (None leaves a field alone) through the desk's own use cases, so the lifecycle, the SLA
    and the audit trail treat them like an agent's change; Conflict when the status cannot follow."""
    fields = {"priority": priority, "category": category[:120] if category else None, "queue_id": queue_id}
    wanted = {name: value for name, value in fields.items() if value is not None}
    ticket = tickets.get(session, actor=actor, ticket_id=ticket_id)
    if wanted:
        ticket = tickets.update(session, actor=actor, ticket_id=ticket_id, data=TicketUpdate.model_validate(wanted))
    if assignee_id is not None and assignee_id != ticket.assignee_id:
        ticket = tickets.assign(session, actor=actor, ticket_id=ticket_id, assignee_id=assignee_id)
    if status is not None:
        for step in status_path(TicketStatus(ticket.status), status):
            ticket = tickets.change_status(session, actor=actor, ticket_id=ticket_id, target=step)
    return ticket


def append_synced(session: Session, *, actor: Principal, ticket_id: int, author_id: int | None, body: str,
                  internal: bool, created_at: datetime) -> TicketMessage:
    """A comment written in the ITSM, appended to the thread whatever the ticket's status (a comment is never lost)."""
    require(actor, Permission.TICKET_WORK_ALL_QUEUES)
    ticket = session.get_one(Ticket, ticket_id)
    message = TicketMessage(ticket_id=ticket_id, author_id=author_id, body=body, channel=Channel.API,
                            kind=MessageKind.INTERNAL_NOTE if internal else MessageKind.PUBLIC_REPLY,
                            created_at=min(created_at, utcnow()))
    session.add(message)
    facts.count_reply(session, ticket, message)
    if not internal and ticket.first_responded_at is None and facts.is_agent_reply(message, ticket.requester_id):
        ticket.first_responded_at = message.created_at
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="ticket.message",
                 subject_type="ticket", subject_id=ticket_id,
                 after={"message_id": message.id, "kind": message.kind, "channel": Channel.API, "synced": True})
    return message
