"""Use cases of the dead-letter table and of runs in progress: record a run that failed for good, list them
for an admin, retry or discard one (audited), hand the retries asked for to the worker, show progress."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.clock import utcnow
from deskpilot.errors import Conflict, DomainError, NotFound
from deskpilot.jobs.enums import DeadLetterStatus
from deskpilot.jobs.models import FailedJob, JobProgress
from deskpilot.jobs.queue import Delivery

_MAX_ERROR = 4000
_RECENT_PROGRESS = timedelta(hours=24)
Requeue = Callable[[FailedJob], None]


def describe(error: BaseException) -> str:
    """`Type: message`, with a domain error's message meant for people."""
    message = error.message if isinstance(error, DomainError) else str(error)
    return f"{type(error).__name__}: {message}"[:_MAX_ERROR]


def record_failure(session: Session, *, delivery: Delivery, error: BaseException) -> FailedJob:
    """Keep a run whose retries are used up, with its payload so it can be understood and run again."""
    failed = FailedJob(job=delivery.job, idempotency_key=delivery.idempotency_key, payload=delivery.payload,
                       attempts=delivery.attempt, error=describe(error), first_attempt_at=delivery.first_attempt_at,
                       failed_at=utcnow(), status=DeadLetterStatus.FAILED)
    session.add(failed)
    session.flush()
    return failed


def get_all_failed(session: Session, *, actor: Principal, job: str | None = None, limit: int = 50,
                   status: DeadLetterStatus | None = None) -> list[FailedJob]:
    """The most recent failed runs, newest first, optionally of one job or in one status; admins only."""
    require(actor, Permission.JOBS_READ)
    query = select(FailedJob).order_by(FailedJob.failed_at.desc(), FailedJob.id.desc()).limit(limit)
    if job is not None:
        query = query.where(FailedJob.job == job)
    if status is not None:
        query = query.where(FailedJob.status == status)
    return list(session.scalars(query))


def _waiting(session: Session, failed_id: int) -> FailedJob:
    failed = session.get(FailedJob, failed_id, with_for_update=True)
    if failed is None:
        raise NotFound(f"There is no failed run {failed_id}.")
    if failed.status != DeadLetterStatus.FAILED:
        raise Conflict(f"Failed run {failed_id} was already handled ({failed.status.value}"
                       f"{' by ' + failed.resolved_by if failed.resolved_by else ''}).")
    return failed


def _resolve(session: Session, *, actor: Principal, failed_id: int, status: DeadLetterStatus,
             action: str) -> FailedJob:
    require(actor, Permission.JOBS_MANAGE)
    failed = _waiting(session, failed_id)
    failed.status = status
    failed.resolved_by = actor.username
    failed.resolved_at = utcnow()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action=action,
                 subject_type="failed_job", subject_id=failed.id,
                 after={"job": failed.job, "idempotency_key": failed.idempotency_key, "status": status.value})
    return failed


def request_retry(session: Session, *, actor: Principal, failed_id: int) -> FailedJob:
    """Ask the worker to run a failed run again (with fresh attempts); the worker queues it within seconds."""
    return _resolve(session, actor=actor, failed_id=failed_id, status=DeadLetterStatus.RETRY_REQUESTED,
                    action="job.retry")


def discard(session: Session, *, actor: Principal, failed_id: int) -> FailedJob:
    """Put a failed run aside for good: it stays listed as discarded, with who did it."""
    return _resolve(session, actor=actor, failed_id=failed_id, status=DeadLetterStatus.DISCARDED,
                    action="job.discard")


def requeue_requested(session: Session, requeue: Requeue) -> int:
    """Hand every retry an admin asked for to `requeue` (the worker's queue), once: several workers may call
    this at the same moment, and each row is locked and marked in the caller's transaction."""
    query = (select(FailedJob).where(FailedJob.status == DeadLetterStatus.RETRY_REQUESTED)
             .order_by(FailedJob.id).with_for_update(skip_locked=True))
    requested = list(session.scalars(query))
    for failed in requested:
        requeue(failed)
        failed.status = DeadLetterStatus.REQUEUED
    return len(requested)


def get_progress(session: Session, *, actor: Principal, since: datetime | None = None) -> list[JobProgress]:
    """Progress reported by runs in the last day (or since `since`), most recent first; admins only."""
    require(actor, Permission.JOBS_READ)
    query = (select(JobProgress).where(JobProgress.updated_at >= (since or utcnow() - _RECENT_PROGRESS))
             .order_by(JobProgress.updated_at.desc()).limit(50))
    return list(session.scalars(query))
