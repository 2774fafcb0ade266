"""The periodic SLA sweep: detect near-breach and breach, and walk each queue's escalation path.

An escalation level with trigger `near_breach` fires as soon as a clock is near breach (or breached);
one with trigger `breach` fires `after_minutes` wall-clock minutes after the clock breached. Each level
fires once per ticket (a unique notice row), so the sweep can run as often as wanted.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.tickets.models import EscalationLevel, EscalationNotice, Queue, Ticket
from deskpilot.tickets.sla import OPEN, SweepReport, TicketClocks, refresh
from deskpilot.tickets.sla_clock import SlaState, SlaStatus


def _breach_time(result: TicketClocks) -> datetime | None:
    times = [c.breached_at for c in (result.first_response, result.resolution)
             if c is not None and c.state is SlaState.BREACHED and c.breached_at is not None]
    return min(times) if times else None


def _fires(level: EscalationLevel, result: TicketClocks, now: datetime) -> bool:
    worst = result.worst
    if level.trigger == "near_breach":
        return worst in (SlaState.NEAR_BREACH, SlaState.BREACHED)
    breached_at = _breach_time(result)
    return breached_at is not None and now >= breached_at + timedelta(minutes=level.after_minutes)


def _which(result: TicketClocks) -> str:
    parts = []
    for name, clock in (("first response", result.first_response), ("resolution", result.resolution)):
        if isinstance(clock, SlaStatus) and clock.state in (SlaState.NEAR_BREACH, SlaState.BREACHED):
            due = f" (due {clock.due_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC)" if clock.due_at else ""
            parts.append(f"{name} {clock.state.value.replace('_', ' ')}{due}")
    return "; ".join(parts)


def _escalate(session: Session, *, ticket: Ticket, result: TicketClocks, now: datetime) -> int:
    queue = session.get(Queue, ticket.queue_id) if ticket.queue_id else None
    if queue is None:
        return 0
    done = set(session.scalars(select(EscalationNotice.level).where(EscalationNotice.ticket_id == ticket.id)))
    raised = 0
    for level in queue.escalation_levels:
        if level.level in done or not _fires(level, result, now):
            continue
        reason = f"DP-{ticket.id} in {queue.name}: {_which(result)}"
        session.add(EscalationNotice(ticket_id=ticket.id, level=level.level, trigger=level.trigger,
                                     notify_team_id=level.notify_team_id, notify_role=level.notify_role,
                                     reason=reason, created_at=now))
        ticket.escalation_level = max(ticket.escalation_level, level.level)
        audit.record(session, actor_id=None, actor_name="sla-sweep", action="ticket.escalate",
                     subject_type="ticket", subject_id=ticket.id,
                     after={"level": level.level, "trigger": level.trigger, "reason": reason})
        raised += 1
    return raised


def sweep(session: Session, *, now: datetime) -> SweepReport:
    """Refresh every open ticket's SLA state and raise due escalations; returns what it found."""
    report = SweepReport()
    for ticket in session.scalars(select(Ticket).where(Ticket.status.in_(OPEN),
                                                       Ticket.sla_policy_id.is_not(None))):
        report.checked += 1
        result = refresh(session, ticket=ticket, now=now)
        if result.worst is SlaState.NEAR_BREACH:
            report.near_breach.append(ticket.id)
        elif result.worst is SlaState.BREACHED:
            report.breached.append(ticket.id)
        report.notices += _escalate(session, ticket=ticket, result=result, now=now)
    session.flush()
    return report


def recent_notices(session: Session, *, actor: Principal, queue_id: int, limit: int = 20) -> list[EscalationNotice]:
    """The newest escalation notices the sweep raised for tickets now in the queue: the path at work."""
    require(actor, Permission.SLA_READ)
    return list(session.scalars(select(EscalationNotice).join(Ticket, Ticket.id == EscalationNotice.ticket_id)
                                .where(Ticket.queue_id == queue_id)
                                .order_by(EscalationNotice.created_at.desc(), EscalationNotice.id.desc())
                                .limit(limit)))
