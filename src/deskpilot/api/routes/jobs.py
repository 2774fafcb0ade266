"""/api/v1/admin/jobs: the dead letters (runs whose retries were used up), to retry or discard, and the progress
of long runs. The worker (in-process on SQLite, procrastinate on PostgreSQL) queues a retry within seconds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from deskpilot.api.deps import CurrentPrincipal, IdPath, SessionDep
from deskpilot.jobs import service
from deskpilot.jobs.enums import DeadLetterStatus
from deskpilot.jobs.schemas import FailedJobRead, JobProgressRead

router = APIRouter(prefix="/api/v1/admin/jobs", tags=["administration"])


@router.get("/failed", operation_id="list_failed_jobs")
def list_failed(session: SessionDep, actor: CurrentPrincipal,
                job: Annotated[str | None, Query(max_length=120)] = None,
                status: DeadLetterStatus | None = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[FailedJobRead]:
    """Runs that failed for good, newest first, optionally of one job or in one status."""
    return [FailedJobRead.model_validate(row)
            for row in service.get_all_failed(session, actor=actor, job=job, limit=limit, status=status)]


@router.post("/failed/{failed_id}/retry", operation_id="retry_failed_job")
def retry_failed(failed_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> FailedJobRead:
    """Run a failed run again with fresh attempts (409 when it was already retried or discarded); audited."""
    return FailedJobRead.model_validate(service.request_retry(session, actor=actor, failed_id=failed_id))


@router.post("/failed/{failed_id}/discard", operation_id="discard_failed_job")
def discard_failed(failed_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> FailedJobRead:
    """Put a failed run aside for good (409 when it was already retried or discarded); audited."""
    return FailedJobRead.model_validate(service.discard(session, actor=actor, failed_id=failed_id))


@router.get("/progress", operation_id="list_job_progress")
def list_progress(session: SessionDep, actor: CurrentPrincipal) -> list[JobProgressRead]:
    """How far the runs of the last day have come (done of total, a line of text), most recent first."""
    return [JobProgressRead.model_validate(row) for row in service.get_progress(session, actor=actor)]
