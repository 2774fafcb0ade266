"""Who may see and work which ticket. A ticket one may not see is reported as not found."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from deskpilot.accounts.enums import Role
from deskpilot.accounts.permissions import Permission, has
from deskpilot.accounts.principal import Principal
from deskpilot.errors import NotFound, PermissionDenied
from deskpilot.tickets.models import Queue, Ticket


def visible_clause(principal: Principal) -> ColumnElement[bool]:
    """A WHERE clause selecting the tickets `principal` may read."""
    if has(principal, Permission.TICKET_READ_ALL):
        return true()
    if principal.user_id is None:
        return false()
    own = Ticket.requester_id == principal.user_id
    if principal.role is Role.REQUESTER:
        return own
    team_queues = select(Queue.id).where(Queue.team_id.in_(principal.team_ids))
    # Tickets not routed to any queue yet wait for human triage: every agent may pick them up.
    return or_(own, Ticket.assignee_id == principal.user_id, Ticket.queue_id.in_(team_queues),
               Ticket.queue_id.is_(None))


def get_visible(session: Session, *, actor: Principal, ticket_id: int) -> Ticket:
    """The ticket if `actor` may read it; NotFound otherwise (so existence is not leaked)."""
    ticket = session.scalar(select(Ticket).where(Ticket.id == ticket_id, visible_clause(actor)))
    if ticket is None:
        raise NotFound(f"No ticket DP-{ticket_id} that you can see.")
    return ticket


def can_work(session: Session, actor: Principal, ticket: Ticket) -> bool:
    """Agents work their teams' queues and tickets assigned to them; leads and admins work everything."""
    if has(actor, Permission.TICKET_WORK_ALL_QUEUES):
        return True
    if not has(actor, Permission.TICKET_WORK):
        return False
    if ticket.assignee_id is not None and ticket.assignee_id == actor.user_id:
        return True
    if ticket.queue_id is None:
        return True
    queue = session.get(Queue, ticket.queue_id)
    return queue is not None and queue.team_id in actor.team_ids


def require_work(session: Session, actor: Principal, ticket: Ticket) -> None:
    if not can_work(session, actor, ticket):
        raise PermissionDenied(f"You may read DP-{ticket.id} but not work on it: it is not in your teams' queues.")


def is_requester(actor: Principal, ticket: Ticket) -> bool:
    return actor.user_id is not None and ticket.requester_id == actor.user_id
