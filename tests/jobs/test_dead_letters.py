"""The in-process worker (SQLite, the laptop) runs the retries an admin asked for on the dead-letter page."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from deskpilot.clock import utcnow
from deskpilot.db import session_factory
from deskpilot.jobs.enums import DeadLetterStatus
from deskpilot.jobs.models import FailedJob
from deskpilot.jobs.worker import RunStatus, Worker
from deskpilot.runtime import AiRuntime
from tests.jobs.sample_jobs import effect, unreachable


def plant_failures(session: Session) -> tuple[FailedJob, FailedJob]:
    """Two runs that failed for good, as a worker records them."""
    first = utcnow() - timedelta(minutes=5)
    rows = (FailedJob(job="test.unreachable", idempotency_key="test.unreachable:{}", payload={}, attempts=2,
                      error="ConnectionRefusedError: server down (attempt 2)", first_attempt_at=first),
            FailedJob(job="mail.send", idempotency_key='mail.send:{"slot":"x"}', payload={"slot": "x"}, attempts=5,
                      error="SMTPServerDisconnected: Connection unexpectedly closed", first_attempt_at=first))
    session.add_all(rows)
    session.commit()
    return rows


def test_the_in_process_worker_runs_a_retry_an_admin_asked_for(engine: Engine, session: Session,
                                                                ai_runtime: AiRuntime) -> None:
    retried, _ = plant_failures(session)
    retried.status = DeadLetterStatus.RETRY_REQUESTED
    session.commit()
    outcomes = []
    settings = ai_runtime.settings.model_copy(update={"job_intervals": {"test.unreachable": 0}})
    worker = Worker(jobs={"test.unreachable": unreachable, "test.effect": effect}, settings=settings,
                    runtime=ai_runtime, sessions=session_factory(engine), report=outcomes.append)

    counts = worker.run(threading.Event(), once=True)

    assert [(o.job, o.attempt, o.status) for o in outcomes] == [("test.unreachable", 1, RunStatus.RETRYING),
                                                                ("test.unreachable", 2, RunStatus.FAILED)]
    assert counts[RunStatus.FAILED] == 1
    session.expire_all()
    statuses = session.scalars(select(FailedJob.status).order_by(FailedJob.id)).all()
    assert statuses == [DeadLetterStatus.REQUEUED, DeadLetterStatus.FAILED, DeadLetterStatus.FAILED]
