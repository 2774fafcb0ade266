"""The jobs on procrastinate (PostgreSQL): what `deskpilot worker` runs when the database is PostgreSQL.

procrastinate keeps runs in PostgreSQL tables (schema `procrastinate`, migration 0034), so they survive restarts,
and hands each to exactly one worker (`SELECT ... FOR UPDATE SKIP LOCKED`), however many worker processes run
on however many machines. Each installed job becomes a procrastinate task of the same name:

- payload: the task's kwargs; the idempotency key is the `queueing_lock`, so the same work waits at most once;
- retries: the job's `RetryPolicy` decides (`PolicyRetry`), and a run the policy gives up on is written to the
  dead-letter table `failed_jobs` before procrastinate marks it failed;
- schedules: a periodic job becomes `app.periodic(cron=...)`; procrastinate defers each cron tick once across
  all workers, and the tick's timestamp becomes the slot payload (`{"slot": ...}`) the in-process worker uses;
- a worker killed mid-run (kill -9, a lost machine) stops its heartbeat; after `worker_stalled_seconds` another
  worker's upkeep puts the run back (`get_stalled_jobs` + `retry_job`), and `JobContext.once` keeps its
  committed effects from happening twice;
- the upkeep also queues the retries admins asked for on the dead-letter page.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import signal
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from procrastinate import App, BaseRetryStrategy, PsycopgConnector, RetryDecision
from procrastinate import JobContext as TaskContext
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Job as QueuedJob
from procrastinate.periodic import PeriodicDeferrer
from procrastinate.worker import Worker as QueueWorker
from sqlalchemy import make_url
from sqlalchemy.orm import Session, sessionmaker

from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.db import unit_of_work
from deskpilot.errors import InvalidInput
from deskpilot.jobs import service
from deskpilot.jobs.base import Job, JobContext, Payload, RetryPolicy
from deskpilot.jobs.models import FailedJob
from deskpilot.jobs.queue import Delivery
from deskpilot.jobs.registry import get_job
from deskpilot.jobs.worker import RunOutcome, RunStatus
from deskpilot.runtime import AiRuntime

log = logging.getLogger(__name__)
QUEUE_SCHEMA = "procrastinate"
_MINUTE, _HOUR, _DAY = 60, 3600, 86400
_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def conninfo(database_url: str) -> str:
    """The libpq connection string of a SQLAlchemy PostgreSQL URL (`postgresql+psycopg://...`)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise InvalidInput(f"The procrastinate queue needs PostgreSQL, not {url.get_backend_name()}; on SQLite "
                           "`deskpilot worker` runs the jobs in its own process.")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def cron_of(name: str, interval: float) -> str:
    """A cron expression that ticks every `interval` seconds (aligned like the in-process worker's slots).

    Cron can only tick at divisors of a minute, an hour or a day; any other interval is refused with the nearest
    ones, because silently running a job at another rate than configured would surprise an operator."""
    seconds = round(interval)
    if seconds < _MINUTE and _MINUTE % seconds == 0:
        return f"* * * * * */{seconds}"
    if seconds % _MINUTE == 0 and seconds < _HOUR and _HOUR % seconds == 0:
        return f"*/{seconds // _MINUTE} * * * *"
    if seconds % _HOUR == 0 and seconds < _DAY and _DAY % seconds == 0:
        return f"0 */{seconds // _HOUR} * * *"
    if seconds == _DAY:
        return "0 0 * * *"
    raise InvalidInput(f"Job {name!r} runs every {interval:g} s, which a cron schedule cannot express on the "
                       "PostgreSQL queue: use a divisor of a minute (e.g. 30), of an hour (e.g. 300, 900) or of a "
                       "day (e.g. 3600, 21600, 86400) in DESKPILOT_JOB_INTERVALS.")


class PolicyRetry(BaseRetryStrategy):
    """procrastinate's retry decision made by a job's own `RetryPolicy` (doubling backoff, domain errors final)."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def get_retry_decision(self, *, exception: BaseException, job: QueuedJob) -> RetryDecision | None:
        attempt = job.attempts + 1
        if self.policy.gives_up(attempt=attempt, error=exception):
            return None
        return RetryDecision(retry_at=utcnow() + timedelta(seconds=self.policy.delay(attempt)))


def payload_of(task_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The job's payload: a periodic tick (`{"timestamp": epoch}`) becomes its slot, anything else is as deferred."""
    if set(task_kwargs) == {"timestamp"}:
        return {"slot": datetime.fromtimestamp(int(task_kwargs["timestamp"]), UTC).isoformat()}
    return dict(task_kwargs)


class ProcrastinateQueue:
    """The installed jobs as procrastinate tasks on the database behind `settings`."""

    def __init__(self, *, jobs: Mapping[str, Job], settings: Settings, runtime: AiRuntime | None,
                 sessions: sessionmaker[Session], report: Callable[[RunOutcome], None] | None = None) -> None:
        self.jobs = dict(jobs)
        self.settings = settings
        self.runtime = runtime
        self.sessions = sessions
        self.report = report
        connector = PsycopgConnector(conninfo=conninfo(settings.resolved_database_url), min_size=1,
                                     max_size=settings.worker_concurrency + 2,
                                     kwargs={"options": f"-c search_path={QUEUE_SCHEMA}"})
        intervals = {name: interval for name, job in self.jobs.items() if (interval := job.interval(settings))}
        # Like the in-process worker, a worker that starts runs the current slot of each periodic job unless some
        # worker already did: procrastinate defers a tick missed by up to `max_delay`, once across all workers.
        self.app = App(connector=connector, periodic_defaults={"max_delay": max(intervals.values(), default=600.0)})
        for name, job in sorted(self.jobs.items()):
            task = self.app.task(name=name, pass_context=True, retry=PolicyRetry(job.retry))(self._runner(job))
            if name in intervals:
                self.app.periodic(cron=cron_of(name, intervals[name]), periodic_id=name)(task)

    def enqueue(self, name: str, payload: Payload) -> bool:
        """Queue a run of job `name` (from synchronous code); False when the same work is already waiting."""
        with self.app.open():
            return self._defer(name, payload)

    def _defer(self, name: str, payload: Payload) -> bool:
        """Queue a run on the open app: `enqueue` opens it; a job running on this queue defers follow-up runs
        through the worker's own connections."""
        job = get_job(self.jobs, name)
        try:
            self.app.tasks[name].configure(queueing_lock=job.idempotency_key(payload)).defer(**dict(payload))
        except AlreadyEnqueued:
            return False
        return True

    def run(self, *, once: bool = False, on_signal: Callable[[int], None] | None = None) -> None:
        """Work until SIGTERM/SIGINT, which let the running jobs finish (a second one interrupts at once; `on_signal`
        hears of the first); with `once`, until no run is due and no retry is waiting."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(self._work(once=once, on_signal=on_signal, signals=True))
            return
        # This thread already runs an event loop (a host embedding deskpilot, a browser driver): work on a loop of
        # our own in another thread; only the main thread's loop may take signals.
        failures: list[BaseException] = []

        def work() -> None:
            try:
                asyncio.run(self._work(once=once, on_signal=None, signals=False))
            except BaseException as exc:  # noqa: BLE001 - handed to the calling thread below
                failures.append(exc)

        context = contextvars.copy_context()  # the caller's context (its clock, its settings) goes along
        thread = threading.Thread(target=context.run, args=(work,), name="deskpilot-worker")
        thread.start()
        thread.join()
        if failures:
            raise failures[0]

    async def _work(self, *, once: bool, on_signal: Callable[[int], None] | None, signals: bool) -> None:
        stalled = self.settings.worker_stalled_seconds
        async with self.app.open_async():
            upkeep = asyncio.create_task(self._upkeep(stalled))
            try:
                if not once:
                    await self._drain(wait=True, on_signal=on_signal, signals=signals)
                    return
                # The worker's own deferrer would start beside it and lose the race with an empty queue: queue the
                # periodic ticks due now first (procrastinate still defers each tick once across workers).
                deferrer = PeriodicDeferrer(registry=self.app.periodic_registry, **self.app.periodic_defaults)
                await deferrer.defer_jobs(deferrer.get_previous_tasks(at=time.time()))
                while await self._drain(wait=False, on_signal=on_signal, signals=signals):
                    waiting = [job.scheduled_at for job in await self.app.job_manager.list_jobs_async(status="todo")
                               if job.scheduled_at is not None]
                    if not waiting:
                        return
                    await asyncio.sleep(max(0.0, (min(waiting) - utcnow()).total_seconds()))
            finally:
                upkeep.cancel()

    async def _drain(self, *, wait: bool, on_signal: Callable[[int], None] | None, signals: bool) -> bool:
        """Run one procrastinate worker (until stopped, or with `wait` off until the queue is empty); False when a
        signal stopped it."""
        stalled = self.settings.worker_stalled_seconds
        worker = QueueWorker(self.app, concurrency=self.settings.worker_concurrency, wait=wait,
                             update_heartbeat_interval=max(stalled / 3, 0.5), stalled_worker_timeout=stalled,
                             install_signal_handlers=False)
        loop = asyncio.get_running_loop()
        stopped: list[int] = []

        def stop(number: int) -> None:
            for each in _SIGNALS:
                loop.remove_signal_handler(each)
            stopped.append(number)
            if on_signal is not None:
                on_signal(number)
            worker.stop()  # type: ignore[no-untyped-call]  # procrastinate 3.10 leaves it unannotated

        if signals:
            for number in _SIGNALS:
                loop.add_signal_handler(number, stop, number)
        try:
            await worker.run()  # type: ignore[no-untyped-call]  # procrastinate 3.10 leaves it unannotated
        finally:
            if signals:
                for number in _SIGNALS:
                    loop.remove_signal_handler(number)
        return not stopped

    async def _upkeep(self, stalled: float) -> None:
        """Every few seconds: put back the runs of workers that stopped beating, queue the retries admins asked."""
        while True:
            await asyncio.sleep(max(stalled / 3, 0.5))
            try:
                for job in await self.app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled):
                    log.warning("%s (job %s) was running on a worker that stopped; retrying it", job.task_name, job.id)
                    await self.app.job_manager.retry_job(job)
                await asyncio.to_thread(self._requeue_requested)
            except Exception:  # noqa: BLE001 - upkeep must survive a database hiccup and try again next round
                log.exception("queue upkeep failed; trying again in a moment")

    def _requeue_requested(self) -> None:
        with unit_of_work(self.sessions) as session:
            count = service.requeue_requested(session, self._defer_failed)
        if count:
            log.info("queued %d run(s) an admin asked to retry", count)

    def _defer_failed(self, failed: FailedJob) -> None:
        try:
            self.app.tasks[failed.job].configure(queueing_lock=failed.idempotency_key).defer(**failed.payload)
        except AlreadyEnqueued:
            log.info("%s is already waiting; the admin's retry joins it", failed.idempotency_key)

    def _runner(self, job: Job) -> Callable[..., str]:
        def run(task: TaskContext, **task_kwargs: Any) -> str:
            queued = task.job
            payload = payload_of(task_kwargs)
            delivery = Delivery(job=job.name, payload=payload, idempotency_key=job.idempotency_key(payload),
                                attempt=queued.attempts + 1)
            if self.runtime is None:
                raise InvalidInput("This queue was opened to enqueue only; run jobs with `deskpilot worker`.")
            context = JobContext(settings=self.settings, runtime=self.runtime, sessions=self.sessions,
                                 idempotency_key=delivery.idempotency_key, attempt=delivery.attempt,
                                 queue=self._defer)
            try:
                summary = job.run(context, payload)
            except Exception as exc:
                self._failed(job, delivery, exc)
                raise
            log.info("%s (attempt %d): %s", job.name, delivery.attempt, summary)
            self._tell(RunOutcome(job.name, delivery.idempotency_key, delivery.attempt, RunStatus.SUCCEEDED, summary))
            return summary

        run.__name__ = run.__qualname__ = job.name.replace(".", "_")
        return run

    def _failed(self, job: Job, delivery: Delivery, error: Exception) -> None:
        message = service.describe(error)
        if job.retry.gives_up(attempt=delivery.attempt, error=error):
            log.error("%s failed for good after %d attempt(s): %s", job.name, delivery.attempt, message)
            with unit_of_work(self.sessions) as session:
                service.record_failure(session, delivery=delivery, error=error)
            self._tell(RunOutcome(job.name, delivery.idempotency_key, delivery.attempt, RunStatus.FAILED, message))
            return
        log.warning("%s failed (attempt %d), retrying in %.0f s: %s", job.name, delivery.attempt,
                    job.retry.delay(delivery.attempt), message)
        self._tell(RunOutcome(job.name, delivery.idempotency_key, delivery.attempt, RunStatus.RETRYING, message))

    def _tell(self, outcome: RunOutcome) -> None:
        if self.report is not None:
            self.report(outcome)
