"""/api/v1/audit: auditors and admins read, verify and export the hash-chained log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict

from deskpilot.accounts.permissions import Permission, require
from deskpilot.api.deps import CurrentPrincipal, Limit, Offset, SessionDep
from deskpilot.audit import service as audit

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    chain: int
    seq: int
    at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    subject_type: str
    subject_id: str
    before: Any
    after: Any
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditEventRead]
    total: int


class ChainProblemRead(BaseModel):
    chain: int
    seq: int
    row_id: int | None
    problem: str


class VerifyRead(BaseModel):
    ok: bool
    checked: int
    problems: list[ChainProblemRead]


Text = Annotated[str | None, Query(max_length=80, pattern=r"^[\w.:-]*$")]


@router.get("", operation_id="list_audit_events")
def list_events(session: SessionDep, actor: CurrentPrincipal, subject_type: Text = None, subject_id: Text = None,
                action: Text = None, since: datetime | None = None, until: datetime | None = None,
                offset: Offset = 0, limit: Limit = 100) -> AuditPage:
    require(actor, Permission.AUDIT_READ)
    rows, total = audit.get_all(session, subject_type=subject_type, subject_id=subject_id, action=action,
                                since=since, until=until, offset=offset, limit=limit)
    return AuditPage(items=[AuditEventRead.model_validate(r) for r in rows], total=total)


@router.get("/verify", operation_id="verify_audit_chain")
def verify_chain(session: SessionDep, actor: CurrentPrincipal) -> VerifyRead:
    require(actor, Permission.AUDIT_READ)
    result = audit.verify(session)
    return VerifyRead(ok=result.ok, checked=result.checked,
                      problems=[ChainProblemRead(chain=p.chain, seq=p.seq, row_id=p.row_id, problem=p.problem)
                                for p in result.problems])


@router.get("/export", operation_id="export_audit_log", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}}})
def export_log(session: SessionDep, actor: CurrentPrincipal) -> StreamingResponse:
    require(actor, Permission.AUDIT_READ)
    lines = list(audit.export_csv(session))
    return StreamingResponse(iter(lines), media_type="text/csv",
                             headers={"Content-Disposition": 'attachment; filename="deskpilot-audit.csv"'})
