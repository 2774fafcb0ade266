"""Use cases of the dead-letter table: record a run that failed for good, list them for an admin."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.clock import utcnow
from deskpilot.errors import DomainError
from deskpilot.jobs.models import FailedJob
from deskpilot.jobs.queue import Delivery

_MAX_ERROR = 4000


def describe(error: BaseException) -> str:
    """`Type: message`, with a domain error's message meant for people."""
    message = error.message if isinstance(error, DomainError) else str(error)
    return f"{type(error).__name__}: {message}"[:_MAX_ERROR]


def record_failure(session: Session, *, delivery: Delivery, error: BaseException) -> FailedJob:
    """Keep a run whose retries are used up, with its payload so it can be understood and run again."""
    failed = FailedJob(job=delivery.job, idempotency_key=delivery.idempotency_key, payload=delivery.payload,
                       attempts=delivery.attempt, error=describe(error), first_attempt_at=delivery.first_attempt_at,
                       failed_at=utcnow())
    session.add(failed)
    session.flush()
    return failed


def get_all_failed(session: Session, *, actor: Principal, job: str | None = None, limit: int = 50) -> list[FailedJob]:
    """The most recent failed runs, newest first, optionally of one job; admins only."""
    require(actor, Permission.JOBS_READ)
    query = select(FailedJob).order_by(FailedJob.failed_at.desc(), FailedJob.id.desc()).limit(limit)
    if job is not None:
        query = query.where(FailedJob.job == job)
    return list(session.scalars(query))
