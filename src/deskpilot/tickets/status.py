"""Applying a status change: the state machine, its timestamps and the SLA pause while waiting."""

from __future__ import annotations

from sqlalchemy.orm import Session

from deskpilot.clock import utcnow
from deskpilot.tickets import facts, sla
from deskpilot.tickets.enums import TicketStatus
from deskpilot.tickets.lifecycle import check_transition
from deskpilot.tickets.models import Ticket


def apply_status(session: Session, *, ticket: Ticket, target: TicketStatus) -> None:
    """Move `ticket` to `target` or raise Conflict; keeps resolved/closed times and SLA pauses right."""
    current = TicketStatus(ticket.status)
    check_transition(current, target)
    now = utcnow()
    if current is TicketStatus.WAITING_ON_CUSTOMER:
        sla.resume(ticket=ticket, at=now)
    if target is TicketStatus.WAITING_ON_CUSTOMER:
        sla.pause(session, ticket=ticket, at=now)
    if target is TicketStatus.RESOLVED:
        ticket.resolved_at = now
    elif target is TicketStatus.CLOSED:
        ticket.closed_at = now
    elif current is TicketStatus.RESOLVED and target is TicketStatus.OPEN:
        ticket.resolved_at = None
        ticket.reopen_count += 1
    ticket.status = target
    facts.refresh_paused(ticket)
