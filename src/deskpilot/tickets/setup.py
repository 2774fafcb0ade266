"""Use cases for the desk's set-up: queues with escalation paths, calendars, SLA policies."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.models import Team
from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.errors import Conflict, InvalidInput, NotFound
from deskpilot.tickets.calendar import BusinessCalendar
from deskpilot.tickets.models import BusinessCalendarRecord, EscalationLevel, Queue, SlaPolicy
from deskpilot.tickets.setup_schemas import (
    CalendarCreate,
    EscalationLevelIn,
    EscalationPathUpdate,
    EscalationTrigger,
    QueueCreate,
    QueueUpdate,
    SlaPolicyCreate,
)


def _team_exists(session: Session, team_id: int | None) -> None:
    if team_id is not None and session.get(Team, team_id) is None:
        raise InvalidInput(f"No team with id {team_id}.")


def get_queues(session: Session, *, actor: Principal) -> list[Queue]:
    require(actor, Permission.DIRECTORY_READ)
    return list(session.scalars(select(Queue).order_by(Queue.name)))


def get_queue_by_name(session: Session, *, name: str) -> Queue:
    queue = session.scalar(select(Queue).where(Queue.name == name))
    if queue is None:
        raise NotFound(f"No queue named {name!r}.")
    return queue


def create_queue(session: Session, *, actor: Principal, data: QueueCreate) -> Queue:
    """A queue owned by a team, with its escalation path (levels must be distinct)."""
    require(actor, Permission.TEAM_MANAGE)
    if session.scalar(select(Queue).where(Queue.name == data.name)):
        raise Conflict(f"A queue named {data.name!r} exists already.")
    _team_exists(session, data.team_id)
    queue = Queue(name=data.name, description=data.description, team_id=data.team_id,
                  escalation_levels=_escalation_levels(session, data.escalation_levels))
    session.add(queue)
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="queue.create",
                 subject_type="queue", subject_id=queue.id, after=data.model_dump(mode="json"))
    return queue


def _fires_at(level: EscalationLevelIn) -> tuple[int, int]:
    return (0, 0) if level.trigger is EscalationTrigger.NEAR_BREACH else (1, level.after_minutes)


def _escalation_levels(session: Session, levels: list[EscalationLevelIn]) -> list[EscalationLevel]:
    """The rows of an escalation path, once it is valid: distinct level numbers, teams that exist, and each level
    firing no earlier than the one below it (near breach first, then breach levels by their minutes)."""
    numbers = [lvl.level for lvl in levels]
    if len(numbers) != len(set(numbers)):
        raise InvalidInput("Escalation levels must be distinct numbers.")
    for lvl in levels:
        _team_exists(session, lvl.notify_team_id)
    ordered = sorted(levels, key=lambda lvl: lvl.level)
    for lower, higher in zip(ordered, ordered[1:], strict=False):
        if _fires_at(higher) < _fires_at(lower):
            raise InvalidInput(f"Level {higher.level} would fire before level {lower.level}: a higher level must "
                               "come later (near breach first, then breach levels with growing minutes).")
    return [EscalationLevel(level=lvl.level, trigger=lvl.trigger.value, after_minutes=lvl.after_minutes,
                            notify_team_id=lvl.notify_team_id,
                            notify_role=lvl.notify_role.value if lvl.notify_role else None) for lvl in ordered]


def _path(queue: Queue) -> list[dict[str, object]]:
    return [{"level": lvl.level, "trigger": lvl.trigger, "after_minutes": lvl.after_minutes,
             "notify_team_id": lvl.notify_team_id, "notify_role": lvl.notify_role} for lvl in queue.escalation_levels]


def set_escalation_path(session: Session, *, actor: Principal, queue_id: int, data: EscalationPathUpdate) -> Queue:
    """Replace a queue's escalation path; the next SLA sweep walks the new one. A level a ticket already reached
    is not raised again for that ticket (notices are kept per ticket and level number)."""
    require(actor, Permission.SLA_MANAGE)
    queue = get_queue(session, actor=actor, queue_id=queue_id)
    levels = _escalation_levels(session, data.levels)
    before = _path(queue)
    queue.escalation_levels.clear()
    session.flush()  # the old rows go first: the new ones may reuse their level numbers
    queue.escalation_levels.extend(levels)
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="queue.escalation_path",
                 subject_type="queue", subject_id=queue.id, before=before, after=_path(queue))
    return queue


def get_queue(session: Session, *, actor: Principal, queue_id: int) -> Queue:
    require(actor, Permission.DIRECTORY_READ)
    queue = session.get(Queue, queue_id)
    if queue is None:
        raise NotFound(f"No queue with id {queue_id}.")
    return queue


def update_queue(session: Session, *, actor: Principal, queue_id: int, data: QueueUpdate) -> Queue:
    """Rename a queue, describe it or hand it to another team; tickets in it stay where they are."""
    require(actor, Permission.TEAM_MANAGE)
    queue = get_queue(session, actor=actor, queue_id=queue_id)
    if session.scalar(select(Queue.id).where(Queue.name == data.name, Queue.id != queue_id)):
        raise Conflict(f"A queue named {data.name!r} exists already.")
    _team_exists(session, data.team_id)
    before = {"name": queue.name, "description": queue.description, "team_id": queue.team_id}
    queue.name, queue.description, queue.team_id = data.name, data.description, data.team_id
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="queue.update",
                 subject_type="queue", subject_id=queue.id, before=before, after=data.model_dump(mode="json"))
    return queue


def get_calendars(session: Session, *, actor: Principal) -> list[BusinessCalendarRecord]:
    require(actor, Permission.SLA_READ)
    return list(session.scalars(select(BusinessCalendarRecord).order_by(BusinessCalendarRecord.name)))


def create_calendar(session: Session, *, actor: Principal, data: CalendarCreate) -> BusinessCalendarRecord:
    """A business-hours calendar; its definition is validated before anything is stored."""
    require(actor, Permission.SLA_MANAGE)
    definition = BusinessCalendar.from_dict(data.definition).to_dict()
    if session.scalar(select(BusinessCalendarRecord).where(BusinessCalendarRecord.name == data.name)):
        raise Conflict(f"A calendar named {data.name!r} exists already.")
    record = BusinessCalendarRecord(name=data.name, definition=definition)
    session.add(record)
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="calendar.create",
                 subject_type="calendar", subject_id=record.id, after={"name": data.name, **definition})
    return record


def get_policies(session: Session, *, actor: Principal) -> list[SlaPolicy]:
    require(actor, Permission.SLA_READ)
    return list(session.scalars(select(SlaPolicy).order_by(SlaPolicy.priority, SlaPolicy.id)))


def create_policy(session: Session, *, actor: Principal, data: SlaPolicyCreate) -> SlaPolicy:
    """One SLA policy per priority, desk-wide or for one queue."""
    require(actor, Permission.SLA_MANAGE)
    if session.get(BusinessCalendarRecord, data.calendar_id) is None:
        raise InvalidInput(f"No calendar with id {data.calendar_id}.")
    if data.queue_id is not None and session.get(Queue, data.queue_id) is None:
        raise InvalidInput(f"No queue with id {data.queue_id}.")
    if data.resolution_minutes < data.first_response_minutes:
        raise InvalidInput("The resolution target cannot be shorter than the first-response target.")
    clash = select(SlaPolicy).where(SlaPolicy.priority == data.priority, SlaPolicy.queue_id == data.queue_id
                                    if data.queue_id is not None else SlaPolicy.queue_id.is_(None))
    if session.scalar(clash):
        raise Conflict(f"A {data.priority} policy for this scope exists already; update it instead.")
    policy = SlaPolicy(**data.model_dump())
    session.add(policy)
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="sla_policy.create",
                 subject_type="sla_policy", subject_id=policy.id, after=data.model_dump(mode="json"))
    return policy
