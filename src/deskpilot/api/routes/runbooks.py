"""/api/v1/runbooks: definitions, versions, approvals, dry-runs, runs and rollbacks; /api/v1/self-service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.api.deps import CurrentPrincipal, IdPath, Limit, Offset, SessionDep, SettingsInForce
from deskpilot.runbooks import executor, self_service
from deskpilot.runbooks import service as definitions
from deskpilot.runbooks.definition import parse
from deskpilot.runbooks.enums import VersionStatus
from deskpilot.runbooks.mailer import mailer_for
from deskpilot.runbooks.models import RunbookRun
from deskpilot.runbooks.schemas import (
    ApprovalCreate,
    ChallengeRead,
    RunbookRead,
    RunbookSource,
    RunCreate,
    RunRead,
    SelfServiceReset,
    SelfServiceStart,
    SelfServiceVerify,
    StepRead,
    VersionRead,
)

router = APIRouter(prefix="/api/v1", tags=["runbooks"])
NamePath = Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]{1,63}$")]
VersionPath = Annotated[int, Path(ge=1, le=100_000)]


def _runbook(session: Session, name: str) -> RunbookRead:
    rows = definitions.versions(session, name=name)
    spec = parse(rows[-1].source)
    current = [v.version for v in rows if v.status is VersionStatus.APPROVED]
    return RunbookRead(name=name, title=spec.title, risk=spec.risk, min_approvers=spec.min_approvers,
                       current_version=current[-1] if current else None, versions=[VersionRead.model_validate(
                           v).model_copy(update={"approvers": [a.approver_name for a in definitions.approvals(
                               session, version_id=v.id)]}) for v in rows])


def _run(session: Session, run: RunbookRun) -> RunRead:
    steps = [StepRead.model_validate(s) for s in executor.run_steps(session, run_id=run.id)]
    return RunRead.model_validate(run).model_copy(update={"steps": steps})


def _request(name: str, data: RunCreate) -> executor.RunRequest:
    return executor.RunRequest(runbook=name, parameters=data.parameters, version=data.version,
                               ticket_id=data.ticket_id, client_data=data.client_data, dry_run_id=data.dry_run_id,
                               idempotency_key=data.idempotency_key)


@router.get("/runbooks", operation_id="list_runbooks")
def list_runbooks(session: SessionDep, actor: CurrentPrincipal) -> list[RunbookRead]:
    require(actor, Permission.RUNBOOK_READ)
    return [_runbook(session, r.name) for r in definitions.get_all(session)]


@router.post("/runbooks", status_code=status.HTTP_201_CREATED, operation_id="create_runbook")
def create_runbook(data: RunbookSource, session: SessionDep, actor: CurrentPrincipal) -> RunbookRead:
    """A new runbook as draft version 1 (admins); leads approve it before it can run."""
    version = definitions.create(session, actor=actor, source=data.source)
    return _runbook(session, parse(version.source).name)


@router.get("/runbooks/runs", operation_id="list_runbook_runs")
def list_runs(session: SessionDep, actor: CurrentPrincipal, offset: Offset = 0, limit: Limit = 50,
              runbook: str | None = None, ticket_id: int | None = None) -> list[RunRead]:
    return [_run(session, r) for r in executor.get_runs(session, actor=actor, runbook=runbook, ticket_id=ticket_id,
                                                        offset=offset, limit=limit)]


@router.get("/runbooks/runs/{run_id}", operation_id="get_runbook_run")
def get_run(run_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> RunRead:
    return _run(session, executor.get_run(session, actor=actor, run_id=run_id))


@router.post("/runbooks/runs/{run_id}/rollback", operation_id="rollback_runbook_run")
def rollback_run(run_id: IdPath, session: SessionDep, actor: CurrentPrincipal, settings: SettingsInForce) -> RunRead:
    """Undo a succeeded run in reverse order (leads), when every changed step can be undone."""
    return _run(session, executor.rollback(session, settings=settings, actor=actor, run_id=run_id))


@router.get("/runbooks/{name}", operation_id="get_runbook")
def get_runbook(name: NamePath, session: SessionDep, actor: CurrentPrincipal) -> RunbookRead:
    require(actor, Permission.RUNBOOK_READ)
    return _runbook(session, name)


@router.post("/runbooks/{name}/versions", status_code=status.HTTP_201_CREATED, operation_id="edit_runbook")
def edit_runbook(name: NamePath, data: RunbookSource, session: SessionDep, actor: CurrentPrincipal) -> RunbookRead:
    """A new draft version; the approved one keeps running until the new one is approved."""
    definitions.edit(session, actor=actor, name=name, source=data.source)
    return _runbook(session, name)


@router.post("/runbooks/{name}/versions/{version}/approve", operation_id="approve_runbook_version")
def approve_version(name: NamePath, version: VersionPath, data: ApprovalCreate, session: SessionDep,
                    actor: CurrentPrincipal) -> RunbookRead:
    definitions.approve(session, actor=actor, name=name, version=version, reviewed_hash=data.content_hash)
    return _runbook(session, name)


@router.post("/runbooks/{name}/dry-run", status_code=status.HTTP_201_CREATED, operation_id="dry_run_runbook")
def dry_run(name: NamePath, data: RunCreate, session: SessionDep, actor: CurrentPrincipal,
            settings: SettingsInForce) -> RunRead:
    """What a run would change, read from the current state; changes nothing."""
    return _run(session, executor.dry_run(session, settings=settings, actor=actor, request=_request(name, data)))


@router.post("/runbooks/{name}/run", status_code=status.HTTP_201_CREATED, operation_id="run_runbook")
def run_runbook(name: NamePath, data: RunCreate, session: SessionDep, actor: CurrentPrincipal,
                settings: SettingsInForce) -> RunRead:
    """Execute after a dry-run (`dry_run_id`); a failed step rolls back the completed ones (see `status`)."""
    return _run(session, executor.run(session, settings=settings, actor=actor, request=_request(name, data)))


@router.post("/self-service/password-reset", status_code=status.HTTP_201_CREATED,
             operation_id="start_self_service_reset")
def start_reset(data: SelfServiceStart, session: SessionDep, actor: CurrentPrincipal,
                settings: SettingsInForce) -> ChallengeRead:
    """Send a one-time code to the signed-in requester's e-mail on file."""
    challenge = self_service.start(session, settings=settings, requester=actor, mailer=mailer_for(settings),
                                   conversation_ref=data.conversation_ref, ticket_id=data.ticket_id)
    return ChallengeRead(request_id=challenge.request_id, sent_to=challenge.sent_to,
                         expires_in_minutes=challenge.expires_in_minutes)


@router.post("/self-service/password-reset/{request_id}/verify", status_code=status.HTTP_204_NO_CONTENT,
             operation_id="verify_self_service_reset")
def verify_reset(request_id: IdPath, data: SelfServiceVerify, session: SessionDep, actor: CurrentPrincipal,
                 settings: SettingsInForce) -> None:
    self_service.verify(session, settings=settings, requester=actor, request_id=request_id, code=data.code)


@router.post("/self-service/password-reset/{request_id}/reset", operation_id="complete_self_service_reset")
def complete_reset(request_id: IdPath, data: SelfServiceReset, session: SessionDep, actor: CurrentPrincipal,
                   settings: SettingsInForce) -> RunRead:
    run = self_service.reset_password(session, settings=settings, requester=actor, request_id=request_id,
                                      new_password=data.new_password)
    return _run(session, run)
