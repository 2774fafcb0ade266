"""/api/v1/queues, /api/v1/calendars, /api/v1/sla-policies."""

from __future__ import annotations

from fastapi import APIRouter, status

from deskpilot.api.deps import CurrentPrincipal, IdPath, SessionDep
from deskpilot.tickets import escalation, setup
from deskpilot.tickets.setup_schemas import (
    CalendarCreate,
    CalendarRead,
    EscalationNoticeRead,
    EscalationPathUpdate,
    QueueCreate,
    QueueRead,
    SlaPolicyCreate,
    SlaPolicyRead,
)

router = APIRouter(prefix="/api/v1", tags=["desk set-up"])


@router.get("/queues", operation_id="list_queues")
def list_queues(session: SessionDep, actor: CurrentPrincipal) -> list[QueueRead]:
    return [QueueRead.model_validate(q) for q in setup.get_queues(session, actor=actor)]


@router.post("/queues", status_code=status.HTTP_201_CREATED, operation_id="create_queue")
def create_queue(data: QueueCreate, session: SessionDep, actor: CurrentPrincipal) -> QueueRead:
    return QueueRead.model_validate(setup.create_queue(session, actor=actor, data=data))


@router.put("/queues/{queue_id}/escalation-path", operation_id="set_queue_escalation_path")
def set_escalation_path(queue_id: IdPath, data: EscalationPathUpdate, session: SessionDep,
                        actor: CurrentPrincipal) -> QueueRead:
    """Replace the queue's escalation path (admins and leads); the SLA sweep walks the new path from its next run."""
    return QueueRead.model_validate(setup.set_escalation_path(session, actor=actor, queue_id=queue_id, data=data))


@router.get("/queues/{queue_id}/escalations", operation_id="list_queue_escalations")
def list_escalations(queue_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> list[EscalationNoticeRead]:
    """The newest notices the SLA sweep raised for tickets in the queue (staff and auditors)."""
    setup.get_queue(session, actor=actor, queue_id=queue_id)
    return [EscalationNoticeRead.model_validate(n)
            for n in escalation.recent_notices(session, actor=actor, queue_id=queue_id)]


@router.get("/calendars", operation_id="list_calendars")
def list_calendars(session: SessionDep, actor: CurrentPrincipal) -> list[CalendarRead]:
    return [CalendarRead.model_validate(c) for c in setup.get_calendars(session, actor=actor)]


@router.post("/calendars", status_code=status.HTTP_201_CREATED, operation_id="create_calendar")
def create_calendar(data: CalendarCreate, session: SessionDep, actor: CurrentPrincipal) -> CalendarRead:
    return CalendarRead.model_validate(setup.create_calendar(session, actor=actor, data=data))


@router.get("/sla-policies", operation_id="list_sla_policies")
def list_policies(session: SessionDep, actor: CurrentPrincipal) -> list[SlaPolicyRead]:
    return [SlaPolicyRead.model_validate(p) for p in setup.get_policies(session, actor=actor)]


@router.post("/sla-policies", status_code=status.HTTP_201_CREATED, operation_id="create_sla_policy")
def create_policy(data: SlaPolicyCreate, session: SessionDep, actor: CurrentPrincipal) -> SlaPolicyRead:
    return SlaPolicyRead.model_validate(setup.create_policy(session, actor=actor, data=data))
