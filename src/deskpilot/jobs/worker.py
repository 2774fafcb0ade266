"""`deskpilot worker`: runs periodic and queued jobs in this process, one at a time.

Each periodic job is due once per slot of its interval (slots are aligned to the epoch, and the slot's
start is the payload, so the slot is the run's idempotency key: the same slot never runs twice). A failed
run is queued again after its retry policy's backoff; when the policy gives up, the run is recorded in the
dead-letter table (`deskpilot jobs failed`). `stop` ends the loop between runs: the job running when a
SIGTERM arrives finishes its own units of work first. Between runs it also queues the failed runs an admin asked
to retry (`/admin/jobs`), so the dead-letter page works on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session, sessionmaker

from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.db import unit_of_work
from deskpilot.jobs import service
from deskpilot.jobs.base import Job, JobContext, Payload
from deskpilot.jobs.models import FailedJob
from deskpilot.jobs.queue import Delivery, InProcessQueue
from deskpilot.jobs.registry import get_job
from deskpilot.runtime import AiRuntime

log = logging.getLogger(__name__)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The longest nap between looks at the queue: an admin's retry request is picked up within this.
_IDLE_SECONDS = 5.0


class RunStatus(StrEnum):
    SUCCEEDED = "succeeded"
    RETRYING = "retrying"
    FAILED = "failed"


@dataclass(frozen=True)
class RunOutcome:
    job: str
    idempotency_key: str
    attempt: int
    status: RunStatus
    summary: str


def slot_start(now: datetime, interval: float) -> datetime:
    """The start of the interval-long slot (aligned to the epoch) that `now` falls in."""
    elapsed = (now - _EPOCH).total_seconds()
    return _EPOCH + timedelta(seconds=elapsed - elapsed % interval)


class Worker:
    """Runs `jobs` against the database behind `sessions`; `report` hears of every run's outcome."""

    def __init__(self, *, jobs: Mapping[str, Job], settings: Settings, runtime: AiRuntime,
                 sessions: sessionmaker[Session], report: Callable[[RunOutcome], None] | None = None) -> None:
        self.jobs = dict(jobs)
        self.settings = settings
        self.runtime = runtime
        self.sessions = sessions
        self.queue = InProcessQueue()
        self.report = report
        self._next_slot: dict[str, datetime] = {}

    def enqueue(self, name: str, payload: Payload, *, not_before: datetime | None = None) -> bool:
        """Queue a run of job `name`; False when the same work (idempotency key) is already waiting."""
        job = get_job(self.jobs, name)
        delivery = Delivery(job=name, payload=dict(payload), idempotency_key=job.idempotency_key(payload))
        return self.queue.enqueue(delivery, not_before=not_before or utcnow())

    def schedule_due(self, now: datetime) -> None:
        """Queue every periodic job whose next slot has begun."""
        for name, job in sorted(self.jobs.items()):
            interval = job.interval(self.settings)
            if interval is None or now < self._next_slot.get(name, _EPOCH):
                continue
            start = slot_start(now, interval)
            self._next_slot[name] = start + timedelta(seconds=interval)
            self.enqueue(name, {"slot": start.isoformat()}, not_before=now)

    def run_due(self, stop: threading.Event) -> list[RunOutcome]:
        """Run every queued delivery that is due now, until none is left or `stop` is set."""
        outcomes = []
        while not stop.is_set() and (delivery := self.queue.take_due(utcnow())) is not None:
            outcomes.append(self._run(delivery))
        return outcomes

    def run(self, stop: threading.Event, *, once: bool = False) -> Counter[RunStatus]:
        """Run until `stop` is set; with `once`, run what is due now (and its retries), then return.

        Returns how many runs ended in each status.
        """
        counts: Counter[RunStatus] = Counter()
        self.schedule_due(utcnow())
        while not stop.is_set():
            self.requeue_requested()
            counts.update(outcome.status for outcome in self.run_due(stop))
            if once and not self.queue:
                break
            stop.wait(self._seconds_to_next(once))
            if not once:
                self.schedule_due(utcnow())
        return counts

    def requeue_requested(self) -> int:
        """Queue the failed runs an admin asked to retry, with fresh attempts; how many."""
        def requeue(failed: FailedJob) -> None:
            self.enqueue(failed.job, failed.payload)

        with unit_of_work(self.sessions) as session:
            return service.requeue_requested(session, requeue)

    def _seconds_to_next(self, once: bool) -> float:
        candidates = [self.queue.next_due()] + ([] if once else list(self._next_slot.values()))
        due = [moment for moment in candidates if moment is not None]
        if not due:
            return _IDLE_SECONDS
        return max(0.0, min((min(due) - utcnow()).total_seconds(), _IDLE_SECONDS))

    def _run(self, delivery: Delivery) -> RunOutcome:
        job = get_job(self.jobs, delivery.job)
        context = JobContext(settings=self.settings, runtime=self.runtime, sessions=self.sessions,
                             idempotency_key=delivery.idempotency_key, attempt=delivery.attempt, queue=self.enqueue)
        try:
            summary = job.run(context, delivery.payload)
        except Exception as exc:  # noqa: BLE001 - any failure of a job is retried or recorded, never lost
            outcome = self._failed(job, delivery, exc)
        else:
            log.info("%s (attempt %d): %s", delivery.job, delivery.attempt, summary)
            outcome = RunOutcome(delivery.job, delivery.idempotency_key, delivery.attempt, RunStatus.SUCCEEDED,
                                 summary)
        if self.report is not None:
            self.report(outcome)
        return outcome

    def _failed(self, job: Job, delivery: Delivery, error: Exception) -> RunOutcome:
        message = service.describe(error)
        if job.retry.gives_up(attempt=delivery.attempt, error=error):
            log.error("%s failed for good after %d attempt(s): %s", delivery.job, delivery.attempt, message,
                      exc_info=error)
            with unit_of_work(self.sessions) as session:
                service.record_failure(session, delivery=delivery, error=error)
            return RunOutcome(delivery.job, delivery.idempotency_key, delivery.attempt, RunStatus.FAILED, message)
        delay = job.retry.delay(delivery.attempt)
        log.warning("%s failed (attempt %d), retrying in %.0f s: %s", delivery.job, delivery.attempt, delay, message)
        self.queue.enqueue(delivery.next_attempt(), not_before=utcnow() + timedelta(seconds=delay))
        return RunOutcome(delivery.job, delivery.idempotency_key, delivery.attempt, RunStatus.RETRYING, message)
