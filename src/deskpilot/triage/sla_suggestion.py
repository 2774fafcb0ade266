"""The SLA and escalation path a triaged request would get, from the desk's own policies, with reasons."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from deskpilot.accounts.models import Team
from deskpilot.tickets.models import BusinessCalendarRecord, Queue
from deskpilot.tickets.sla import calendar_of, find_policy
from deskpilot.tickets.sla_clock import add_business_minutes


@dataclass(frozen=True)
class EscalationStep:
    level: int
    trigger: str
    after_minutes: int
    notify: str


@dataclass(frozen=True)
class SlaSuggestion:
    policy: str | None
    calendar: str | None
    first_response_minutes: int | None
    resolution_minutes: int | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    escalation_path: list[EscalationStep] = field(default_factory=list)
    reason: str = ""


def _path(session: Session, queue: Queue | None) -> list[EscalationStep]:
    if queue is None:
        return []
    steps = []
    for level in queue.escalation_levels:
        team = session.get(Team, level.notify_team_id) if level.notify_team_id else None
        notify = f"team {team.name}" if team else f"role {level.notify_role or 'lead'}"
        steps.append(EscalationStep(level=level.level, trigger=level.trigger, after_minutes=level.after_minutes,
                                    notify=notify))
    return steps


def suggest_sla(session: Session, *, priority: str, queue_id: int | None, now: datetime) -> SlaSuggestion:
    """The policy that would apply to a ticket of `priority` in the queue, its due times from `now`, and
    the queue's escalation path."""
    queue = session.get(Queue, queue_id) if queue_id else None
    policy = find_policy(session, priority=priority, queue_id=queue_id)
    path = _path(session, queue)
    if policy is None:
        return SlaSuggestion(None, None, None, None, None, None, path,
                             reason=f"No SLA policy covers {priority}; the desk should add one.")
    record = session.get(BusinessCalendarRecord, policy.calendar_id)
    calendar = calendar_of(session, policy)
    scope = f"queue {queue.name}" if policy.queue_id and queue else "the whole desk"
    reason = (f"{priority} → policy '{policy.name}' for {scope}: first response within "
              f"{policy.first_response_minutes} and resolution within {policy.resolution_minutes} business "
              f"minutes on the '{record.name if record else '24x7'}' calendar")
    return SlaSuggestion(
        policy=policy.name, calendar=record.name if record else None,
        first_response_minutes=policy.first_response_minutes, resolution_minutes=policy.resolution_minutes,
        first_response_due_at=add_business_minutes(calendar, now, policy.first_response_minutes),
        resolution_due_at=add_business_minutes(calendar, now, policy.resolution_minutes),
        escalation_path=path, reason=reason)
