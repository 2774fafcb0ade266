"""When agents start work on a ticket: recorded when one opens it in the console, once between replies, so the
minutes from opening a ticket to replying on it can be measured (see channels/email/kpis.py)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.clock import utcnow
from deskpilot.tickets.access import can_work, get_visible
from deskpilot.tickets.enums import MessageKind
from deskpilot.tickets.models import TicketMessage, TicketWorkStart


def record_start(session: Session, *, actor: Principal, ticket_id: int) -> TicketWorkStart | None:
    """Note that `actor` opened the ticket to work on it; None when it is already noted since the ticket's last
    public message, or when the actor does not work this ticket (a reader is not working on it)."""
    ticket = get_visible(session, actor=actor, ticket_id=ticket_id)
    if actor.user_id is None or not can_work(session, actor, ticket):
        return None
    last_message = session.scalar(select(func.max(TicketMessage.created_at)).where(
        TicketMessage.ticket_id == ticket.id, TicketMessage.kind == MessageKind.PUBLIC_REPLY))
    since = select(TicketWorkStart.id).where(TicketWorkStart.ticket_id == ticket.id,
                                             TicketWorkStart.agent_id == actor.user_id)
    if last_message is not None:
        since = since.where(TicketWorkStart.started_at >= last_message)
    if session.scalar(since.limit(1)) is not None:
        return None
    start = TicketWorkStart(ticket_id=ticket.id, agent_id=actor.user_id, started_at=utcnow())
    session.add(start)
    session.flush()
    return start
