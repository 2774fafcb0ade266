"""/api/v1/requesters/{id}/limit-lift: a lead lifts one requester's hourly ticket and conversation limits."""

from __future__ import annotations

from fastapi import APIRouter

from deskpilot.api.deps import CurrentPrincipal, IdPath, SessionDep
from deskpilot.tickets import requester_limits
from deskpilot.tickets.schemas import LimitLiftCreate, LimitLiftRead

router = APIRouter(prefix="/api/v1", tags=["tickets"])


@router.post("/requesters/{requester_id}/limit-lift", status_code=201, operation_id="lift_requester_limit")
def lift_limit(requester_id: IdPath, data: LimitLiftCreate, session: SessionDep,
               actor: CurrentPrincipal) -> LimitLiftRead:
    """Let the requester open tickets and conversations past the hourly limits for `hours` (audited)."""
    record = requester_limits.lift(session, actor=actor, requester_id=requester_id, hours=data.hours,
                                   reason=data.reason)
    return LimitLiftRead.model_validate(record)
