"""Effects that happen once per run however often the run is delivered, and the progress of long runs.

A queue delivers a run at least once: a worker killed after the job committed its work but before the queue
heard of it (kill -9, a lost machine) gets the run delivered again. `once` makes a step of a run idempotent: the
step's writes and the row that says "this step of this run is done" (`job_effects`, unique per idempotency key
and step) commit in one transaction, so a second delivery finds the row and skips the step, and two deliveries
at the same moment meet on the unique key (the second one waits, then skips).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from deskpilot.clock import utcnow
from deskpilot.db import unit_of_work
from deskpilot.jobs.models import JobEffect, JobProgress

_MAX_NOTE = 2000
ALREADY_DONE = "already done by an earlier delivery: "


def job_of(idempotency_key: str) -> str:
    """The job's name: an idempotency key is `name:<payload>` (`base.payload_key`)."""
    return idempotency_key.split(":", 1)[0]


def once(sessions: sessionmaker[Session], *, idempotency_key: str, step: str,
         work: Callable[[Session], str]) -> str:
    """Run `work(session)` in one unit of work unless this step of this run already committed; the summary."""
    with unit_of_work(sessions) as session:
        done = session.scalar(select(JobEffect.summary).where(JobEffect.idempotency_key == idempotency_key,
                                                              JobEffect.step == step))
        if done is not None:
            return ALREADY_DONE + done
        effect = JobEffect(job=job_of(idempotency_key), idempotency_key=idempotency_key, step=step, summary="",
                           done_at=utcnow())
        session.add(effect)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            return ALREADY_DONE + "(done at the same time)"
        effect.summary = work(session)
        return effect.summary


def report_progress(sessions: sessionmaker[Session], *, idempotency_key: str, attempt: int, note: str,
                    done: int | None, total: int | None) -> None:
    """Record how far a run has come, in its own short transaction so it is visible while the run goes on."""
    with unit_of_work(sessions) as session:
        row = session.get(JobProgress, idempotency_key)
        if row is None:
            row = JobProgress(idempotency_key=idempotency_key, job=job_of(idempotency_key), done=0)
            session.add(row)
        row.note = note[:_MAX_NOTE]
        row.attempt = attempt
        row.done = done if done is not None else row.done
        row.total = total if total is not None else row.total
        row.updated_at = utcnow()


def count_done(session: Session, *, idempotency_key: str, note: str) -> JobProgress:
    """Add one to the `done` of a run's progress (a part of it that another run finished) in the caller's
    transaction, with the row locked so parts finishing at the same moment on several workers all count."""
    row = session.get(JobProgress, idempotency_key, with_for_update=True, populate_existing=True)
    if row is None:
        row = JobProgress(idempotency_key=idempotency_key, job=job_of(idempotency_key), done=0)
        session.add(row)
    row.done = (row.done or 0) + 1
    row.note = note[:_MAX_NOTE]
    row.updated_at = utcnow()
    session.flush()
    return row
