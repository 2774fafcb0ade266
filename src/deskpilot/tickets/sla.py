"""SLA clocks on tickets: which policy applies, due times, pauses, and the periodic breach sweep."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.tickets.calendar import BusinessCalendar
from deskpilot.tickets.enums import TicketStatus
from deskpilot.tickets.models import BusinessCalendarRecord, SlaPause, SlaPolicy, Ticket
from deskpilot.tickets.sla_clock import SlaState, SlaStatus, add_business_minutes, evaluate_sla

_SEVERITY = {SlaState.MET: 0, SlaState.RUNNING: 1, SlaState.PAUSED: 1, SlaState.NEAR_BREACH: 2,
             SlaState.BREACHED: 3}


def find_policy(session: Session, *, priority: str, queue_id: int | None) -> SlaPolicy | None:
    """The queue's own policy for this priority, else the desk-wide one."""
    if queue_id is not None:
        own = session.scalar(select(SlaPolicy).where(SlaPolicy.priority == priority,
                                                     SlaPolicy.queue_id == queue_id))
        if own is not None:
            return own
    return session.scalar(select(SlaPolicy).where(SlaPolicy.priority == priority, SlaPolicy.queue_id.is_(None)))


def calendar_of(session: Session, policy: SlaPolicy) -> BusinessCalendar:
    record = session.get(BusinessCalendarRecord, policy.calendar_id)
    if record is None:
        return BusinessCalendar.always_open()
    return BusinessCalendar.from_dict(record.definition)


def attach_policy(session: Session, *, ticket: Ticket) -> None:
    """Choose the policy for the ticket's priority and queue, and set its due times."""
    policy = find_policy(session, priority=ticket.priority, queue_id=ticket.queue_id)
    _set_due_times(ticket, policy, calendar_of(session, policy) if policy else None)


def attach_policies(session: Session, *, tickets: Sequence[Ticket]) -> None:
    """`attach_policy` for many tickets at once (an import): each policy and its calendar are looked up, and the
    calendar read, once per priority and queue instead of once per ticket."""
    found: dict[tuple[str, int | None], tuple[SlaPolicy | None, BusinessCalendar | None]] = {}
    for ticket in tickets:
        key = (ticket.priority, ticket.queue_id)
        if key not in found:
            policy = find_policy(session, priority=ticket.priority, queue_id=ticket.queue_id)
            found[key] = (policy, calendar_of(session, policy) if policy else None)
        _set_due_times(ticket, *found[key])


def _set_due_times(ticket: Ticket, policy: SlaPolicy | None, calendar: BusinessCalendar | None) -> None:
    ticket.sla_policy_id = policy.id if policy else None
    if policy is None or calendar is None:
        ticket.first_response_due_at = ticket.resolution_due_at = None
        return
    ticket.first_response_due_at = add_business_minutes(calendar, ticket.created_at,
                                                        policy.first_response_minutes)
    ticket.resolution_due_at = add_business_minutes(calendar, ticket.created_at, policy.resolution_minutes)


def pause(session: Session, *, ticket: Ticket, at: datetime) -> None:
    if not any(p.resumed_at is None for p in ticket.pauses):
        pause_row = SlaPause(ticket_id=ticket.id, paused_at=at)
        session.add(pause_row)
        ticket.pauses.append(pause_row)


def resume(*, ticket: Ticket, at: datetime) -> None:
    for pause_row in ticket.pauses:
        if pause_row.resumed_at is None:
            pause_row.resumed_at = at


@dataclass(frozen=True)
class TicketClocks:
    first_response: SlaStatus | None
    resolution: SlaStatus | None

    @property
    def worst(self) -> SlaState:
        states = [c.state for c in (self.first_response, self.resolution) if c is not None]
        return max(states, key=lambda s: _SEVERITY[s]) if states else SlaState.RUNNING


def clocks(session: Session, *, ticket: Ticket, now: datetime) -> TicketClocks:
    """Both SLA clocks of a ticket at `now`, with pauses (waiting on the customer) excluded."""
    policy = session.get(SlaPolicy, ticket.sla_policy_id) if ticket.sla_policy_id else None
    if policy is None:
        return TicketClocks(None, None)
    calendar = calendar_of(session, policy)
    pauses = [(p.paused_at, p.resumed_at) for p in ticket.pauses]
    first = evaluate_sla(calendar=calendar, started_at=ticket.created_at, target_minutes=policy.first_response_minutes,
                         pauses=[], met_at=ticket.first_responded_at, now=now,
                         near_breach_fraction=policy.near_breach_ratio)
    resolution = evaluate_sla(calendar=calendar, started_at=ticket.created_at, target_minutes=policy.resolution_minutes,
                              pauses=pauses, met_at=ticket.resolved_at, now=now,
                              near_breach_fraction=policy.near_breach_ratio)
    return TicketClocks(first, resolution)


@dataclass
class SweepReport:
    checked: int = 0
    near_breach: list[int] = field(default_factory=list)
    breached: list[int] = field(default_factory=list)
    notices: int = 0

    def summary(self) -> str:
        return (f"checked {self.checked} open tickets: {len(self.near_breach)} near breach, "
                f"{len(self.breached)} breached, {self.notices} escalation notice(s) raised")


OPEN = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.WAITING_ON_CUSTOMER)


def refresh(session: Session, *, ticket: Ticket, now: datetime) -> TicketClocks:
    """Recompute and store the ticket's SLA state and pause-shifted resolution due time."""
    result = clocks(session, ticket=ticket, now=now)
    ticket.sla_state = result.worst.value
    # While a pause is open the due time is unknown (it depends on the resume); keep the last one.
    if result.resolution is not None and result.resolution.due_at is not None:
        ticket.resolution_due_at = result.resolution.due_at
    return result
