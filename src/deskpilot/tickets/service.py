"""Use cases of the tickets area. Services flush; the caller's unit of work commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import User
from deskpilot.accounts.permissions import Permission, has, require
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.clock import utcnow
from deskpilot.errors import InvalidInput, PermissionDenied
from deskpilot.tickets import facts, sla
from deskpilot.tickets.access import get_visible, is_requester, require_work, visible_clause
from deskpilot.tickets.enums import Channel, Level, MessageKind, Priority, TicketStatus
from deskpilot.tickets.lifecycle import OPEN_STATUSES
from deskpilot.tickets.models import Queue, Ticket, TicketMessage
from deskpilot.tickets.priority import priority_for
from deskpilot.tickets.schemas import MessageCreate, TicketCreate, TicketSort, TicketTriage, TicketUpdate
from deskpilot.tickets.status import apply_status

AUDITED = ("subject", "status", "priority", "impact", "urgency", "category", "queue_id", "assignee_id",
           "merged_into_id")


def snapshot(ticket: Ticket) -> dict[str, Any]:
    return {f: getattr(ticket, f) for f in AUDITED}


def _record(session: Session, actor: Principal, action: str, ticket: Ticket, before: Any = None,
            after: Any = None) -> None:
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action=action,
                 subject_type="ticket", subject_id=ticket.id, before=before, after=after)


def _check_queue(session: Session, queue_id: int | None) -> None:
    if queue_id is not None and session.get(Queue, queue_id) is None:
        raise InvalidInput(f"No queue with id {queue_id}.")


def _requester_for(session: Session, actor: Principal, data: TicketCreate) -> int:
    if data.requester_id is None or data.requester_id == actor.user_id:
        if actor.user_id is None:
            raise InvalidInput("A ticket created by the system needs a requester_id.")
        return actor.user_id
    if actor.role is Role.REQUESTER:
        raise PermissionDenied("Requesters can only open tickets for themselves.")
    if session.get(User, data.requester_id) is None:
        raise InvalidInput(f"No user with id {data.requester_id} to be the requester.")
    return data.requester_id


def create(session: Session, *, actor: Principal, data: TicketCreate, triaged: TicketTriage | None = None
           ) -> Ticket:
    """Open a ticket; priority comes from impact × urgency unless staff set it; the SLA clock starts.

    `triaged` holds what triage (not the actor) decided for fields the actor left empty: the ticket is
    written once with them, and the one creation event names triage as their source.
    """
    require(actor, Permission.TICKET_CREATE)
    staff_fields = data.priority is not None or data.queue_id is not None or data.category is not None
    if actor.role is Role.REQUESTER and staff_fields:
        raise PermissionDenied("Requesters cannot set priority, queue or category; the desk triages them.")
    decided = triaged or TicketTriage()
    queue_id = data.queue_id if data.queue_id is not None else decided.queue_id
    _check_queue(session, queue_id)
    ticket = Ticket(
        subject=data.subject.strip() or data.subject, description=data.description, channel=data.channel,
        impact=data.impact, urgency=data.urgency, category=data.category or decided.category, queue_id=queue_id,
        priority=data.priority or decided.priority or priority_for(data.impact, data.urgency),
        requester_id=_requester_for(session, actor, data), status=TicketStatus.NEW, created_at=utcnow(),
    )
    session.add(ticket)
    session.flush()
    sla.attach_policy(session, ticket=ticket)
    after = snapshot(ticket) | {"channel": ticket.channel}
    if triaged is not None:
        after["triaged"] = sorted(triaged.fields())
    _record(session, actor, "ticket.create", ticket, after=after)
    return ticket


def get(session: Session, *, actor: Principal, ticket_id: int) -> Ticket:
    return get_visible(session, actor=actor, ticket_id=ticket_id)


def _filtered(actor: Principal, filters: dict[str, Any]) -> Select[Any]:
    query = select(Ticket).where(visible_clause(actor))
    for field, value in filters.items():
        if value is not None:
            query = query.where(getattr(Ticket, field) == value)
    return query


def _search_terms(search: str | None) -> list[str]:
    return [term.lower() for term in (search or "").split()[:8]]


def _matching_ids(session: Session, query: Select[Any], terms: list[str]) -> list[int]:
    """The ids (in the query's order) of the tickets whose subject or description holds every term.

    Descriptions are sealed at rest (sealed_storage.py), so SQL cannot match them: the filtered tickets' texts
    are read, opened and matched here, column by column, never whole rows."""
    rows = session.execute(query.with_only_columns(Ticket.id, Ticket.subject, Ticket.description)
                           .execution_options(yield_per=1000))
    return [ticket_id for ticket_id, subject, description in rows
            if all(term in subject.lower() or term in description.lower() for term in terms)]


_ORDER: dict[TicketSort, tuple[Any, ...]] = {
    TicketSort.NEWEST: (Ticket.created_at.desc(), Ticket.id.desc()),
    TicketSort.OLDEST: (Ticket.created_at.asc(), Ticket.id.asc()),
    TicketSort.PRIORITY: (Ticket.priority.asc(), Ticket.created_at.asc()),
    TicketSort.DUE: (case((Ticket.status.in_(OPEN_STATUSES), 0), else_=1),
                     case((Ticket.resolution_due_at.is_(None), 1), else_=0), Ticket.resolution_due_at.asc()),
}


def get_all(session: Session, *, actor: Principal, status: TicketStatus | None = None, open_only: bool = False,
            priority: Priority | None = None, queue_id: int | None = None, assignee_id: int | None = None,
            requester_id: int | None = None, category: str | None = None, channel: Channel | None = None,
            search: str | None = None, sort: TicketSort = TicketSort.NEWEST, offset: int = 0,
            limit: int = 50) -> tuple[list[Ticket], int]:
    """A page of the tickets `actor` may see, filtered and searched (every word must match);
    `open_only` keeps the statuses that still need work (new, open, in progress, waiting)."""
    filters = {"status": status, "priority": priority, "queue_id": queue_id, "assignee_id": assignee_id,
               "requester_id": requester_id, "category": category, "channel": channel}
    query = _filtered(actor, filters)
    if open_only:
        query = query.where(Ticket.status.in_(OPEN_STATUSES))
    query = query.order_by(*_ORDER[sort])
    terms = _search_terms(search)
    if terms:
        matching = _matching_ids(session, query, terms)
        page = matching[offset:offset + limit]
        found = {ticket.id: ticket for ticket in session.scalars(select(Ticket).where(Ticket.id.in_(page)))}
        return [found[ticket_id] for ticket_id in page], len(matching)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = session.scalars(query.offset(offset).limit(limit)).all()
    return list(rows), total


def update(session: Session, *, actor: Principal, ticket_id: int, data: TicketUpdate) -> Ticket:
    """Change fields; staff only. A new priority or queue re-plans the SLA."""
    ticket = get_visible(session, actor=actor, ticket_id=ticket_id)
    require_work(session, actor, ticket)
    changes = data.model_dump(exclude_unset=True)
    for required in ("subject", "impact", "urgency", "priority"):
        if required in changes and changes[required] is None:
            raise InvalidInput(f"{required} cannot be empty.")
    _check_queue(session, changes.get("queue_id"))
    before = snapshot(ticket)
    for field, value in changes.items():
        setattr(ticket, field, value)
    if ("impact" in changes or "urgency" in changes) and "priority" not in changes:
        ticket.priority = priority_for(Level(ticket.impact), Level(ticket.urgency))
    session.flush()
    if ticket.priority != before["priority"] or ticket.queue_id != before["queue_id"]:
        sla.attach_policy(session, ticket=ticket)
    _record(session, actor, "ticket.update", ticket, before=before, after=snapshot(ticket))
    return ticket


def assign(session: Session, *, actor: Principal, ticket_id: int, assignee_id: int | None) -> Ticket:
    """Assign to a staff member (agent, lead or admin), or unassign with None."""
    ticket = get_visible(session, actor=actor, ticket_id=ticket_id)
    require_work(session, actor, ticket)
    if assignee_id is not None:
        assignee = session.get(User, assignee_id)
        if assignee is None or not assignee.is_active:
            raise InvalidInput(f"No active user with id {assignee_id}.")
        if assignee.role not in (Role.AGENT, Role.LEAD, Role.ADMIN):
            raise InvalidInput(f"{assignee.username} is a {assignee.role}; only agents, leads and admins "
                               "can be assigned tickets.")
    before = snapshot(ticket)
    ticket.assignee_id = assignee_id
    if assignee_id is not None and ticket.status is TicketStatus.NEW:
        apply_status(session, ticket=ticket, target=TicketStatus.OPEN)
    session.flush()
    _record(session, actor, "ticket.assign", ticket, before=before, after=snapshot(ticket))
    return ticket


def add_message(session: Session, *, actor: Principal, ticket_id: int, data: MessageCreate) -> TicketMessage:
    """A public reply or an internal note; a requester's reply wakes a ticket waiting on them."""
    ticket = get_visible(session, actor=actor, ticket_id=ticket_id)
    requester = is_requester(actor, ticket)
    if data.kind is MessageKind.INTERNAL_NOTE:
        require(actor, Permission.TICKET_NOTE)
        require_work(session, actor, ticket)
    elif not requester:
        require_work(session, actor, ticket)
    if ticket.status in (TicketStatus.CLOSED, TicketStatus.MERGED):
        raise InvalidInput(f"DP-{ticket.id} is {ticket.status}; open a new ticket instead of replying.")
    message = TicketMessage(ticket_id=ticket.id, author_id=actor.user_id, kind=data.kind, channel=data.channel,
                            body=data.body, ai_assisted=data.ai_assisted, created_at=utcnow())
    session.add(message)
    facts.count_reply(session, ticket, message)
    if data.kind is MessageKind.PUBLIC_REPLY:
        _after_public_reply(session, ticket=ticket, from_requester=requester)
    session.flush()
    _record(session, actor, "ticket.message", ticket,
            after={"message_id": message.id, "kind": data.kind, "channel": data.channel,
                   "ai_assisted": data.ai_assisted})
    return message


def _after_public_reply(session: Session, *, ticket: Ticket, from_requester: bool) -> None:
    if from_requester:
        if ticket.status is TicketStatus.WAITING_ON_CUSTOMER:
            apply_status(session, ticket=ticket, target=TicketStatus.OPEN)
        return
    if ticket.first_responded_at is None:
        ticket.first_responded_at = utcnow()
    if ticket.status is TicketStatus.NEW:
        apply_status(session, ticket=ticket, target=TicketStatus.OPEN)


def get_messages(session: Session, *, actor: Principal, ticket_id: int) -> list[TicketMessage]:
    """The thread; requesters never see internal notes."""
    ticket = get_visible(session, actor=actor, ticket_id=ticket_id)
    staff = has(actor, Permission.TICKET_NOTE) or has(actor, Permission.TICKET_READ_ALL)
    query = select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)
    if not staff:
        query = query.where(TicketMessage.kind == MessageKind.PUBLIC_REPLY)
    return list(session.scalars(query.order_by(TicketMessage.id)))


_REQUESTER_MOVES = {(TicketStatus.RESOLVED, TicketStatus.OPEN), (TicketStatus.RESOLVED, TicketStatus.CLOSED)}


def change_status(session: Session, *, actor: Principal, ticket_id: int, target: TicketStatus,
                  comment: str | None = None) -> Ticket:
    """Move along the lifecycle; requesters may only reopen or close their own resolved tickets."""
    ticket = get_visible(session, actor=actor, ticket_id=ticket_id)
    if target is TicketStatus.MERGED:
        raise InvalidInput("Use the merge action to merge a ticket into another.")
    own_move = is_requester(actor, ticket) and (ticket.status, target) in _REQUESTER_MOVES
    if not own_move:
        require_work(session, actor, ticket)
    before = snapshot(ticket)
    apply_status(session, ticket=ticket, target=target)
    if comment:
        message = TicketMessage(ticket_id=ticket.id, author_id=actor.user_id, kind=MessageKind.PUBLIC_REPLY,
                                channel=Channel.API, body=comment, created_at=utcnow())
        session.add(message)
        facts.count_reply(session, ticket, message)
    session.flush()
    _record(session, actor, f"ticket.status.{target}", ticket, before=before, after=snapshot(ticket))
    return ticket


def merge(session: Session, *, actor: Principal, ticket_id: int, into_ticket_id: int) -> Ticket:
    """Merge a duplicate into another open ticket: it becomes `merged` and points at the survivor."""
    require(actor, Permission.TICKET_MERGE)
    if ticket_id == into_ticket_id:
        raise InvalidInput("A ticket cannot be merged into itself.")
    duplicate = get_visible(session, actor=actor, ticket_id=ticket_id)
    target = get_visible(session, actor=actor, ticket_id=into_ticket_id)
    require_work(session, actor, duplicate)
    require_work(session, actor, target)
    if target.status in (TicketStatus.CLOSED, TicketStatus.MERGED):
        raise InvalidInput(f"DP-{target.id} is {target.status}; merge into an open ticket.")
    before = snapshot(duplicate)
    apply_status(session, ticket=duplicate, target=TicketStatus.MERGED)
    duplicate.merged_into_id = target.id
    session.add(TicketMessage(ticket_id=target.id, author_id=actor.user_id, kind=MessageKind.INTERNAL_NOTE,
                              channel=Channel.API, body=merge_note(session, duplicate), created_at=utcnow()))
    session.flush()
    _record(session, actor, "ticket.merge", duplicate, before=before, after=snapshot(duplicate))
    return target


MERGE_NOTE_MESSAGES = 20
MERGE_NOTE_CHARS = 1000


def _cut(text: str) -> str:
    return text if len(text) <= MERGE_NOTE_CHARS else text[:MERGE_NOTE_CHARS] + " …"


def merge_note(session: Session, duplicate: Ticket) -> str:
    """The internal note left on the kept ticket: which ticket was merged, who asked it, its description and its
    messages (the first MERGE_NOTE_MESSAGES, each cut at MERGE_NOTE_CHARS), so nothing the duplicate held is lost
    from view."""
    requester = session.get(User, duplicate.requester_id)
    who = f"{requester.full_name or requester.username} <{requester.email}>" if requester else "unknown"
    lines = [f"DP-{duplicate.id} ({duplicate.subject}) was merged into this ticket as a duplicate.",
             f"Its requester: {who}."]
    if duplicate.description.strip():
        lines.append(f"Its description: {_cut(duplicate.description)}")
    messages = list(duplicate.messages)
    if messages:
        lines.append("Its messages:")
    for message in messages[:MERGE_NOTE_MESSAGES]:
        author = session.get(User, message.author_id) if message.author_id else None
        name = (author.full_name or author.username) if author else "deskpilot"
        kind = " (internal note)" if message.kind is MessageKind.INTERNAL_NOTE else ""
        lines.append(f"— {name}{kind}, {message.created_at:%Y-%m-%d %H:%M} UTC: {_cut(message.body)}")
    if len(messages) > MERGE_NOTE_MESSAGES:
        lines.append(f"… and {len(messages) - MERGE_NOTE_MESSAGES} more on DP-{duplicate.id}.")
    return "\n".join(lines)
