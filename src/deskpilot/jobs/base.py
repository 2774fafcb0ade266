"""The contract of a job: a named function of (context, payload) with an idempotency key and a retry policy.

A job never knows which queue runs it: the in-process worker (`jobs/worker.py`, SQLite) or procrastinate
(`jobs/procrastinate_queue.py`, PostgreSQL), because everything such a queue needs is declared here: the name it
is registered under, a JSON payload, the key that makes a second delivery of the same work a no-op
(procrastinate's `queueing_lock`), the retry policy, and how often a periodic job is due.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.orm import Session, sessionmaker

from deskpilot.config import Settings
from deskpilot.db import unit_of_work
from deskpilot.errors import DomainError, InvalidInput, ProviderError
from deskpilot.jobs.effects import once, report_progress
from deskpilot.runtime import AiRuntime

Payload = Mapping[str, Any]
_MAX_KEY = 255


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failed run is tried again, and how long to wait before each try (doubling, capped)."""

    max_attempts: int = 5
    backoff_seconds: float = 30.0
    max_backoff_seconds: float = 3600.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return float(min(self.backoff_seconds * 2 ** min(attempt - 1, 30), self.max_backoff_seconds))

    def gives_up(self, *, attempt: int, error: BaseException) -> bool:
        """Whether attempt number `attempt`, which raised `error`, was the last one.

        Wrong input does not become right by waiting, so a domain error other than a retryable provider
        failure ends the job at once; anything else (a network or database hiccup) is tried again.
        """
        if attempt >= self.max_attempts:
            return True
        if isinstance(error, ProviderError):
            return not error.retryable
        return isinstance(error, DomainError)


Defer = Callable[[str, Payload], bool]


@dataclass(frozen=True)
class JobContext:
    """What a run may use: the settings, the process's AI runtime, a session factory (a job commits its own
    units of work) and the queue that runs it, to queue follow-up runs (`defer`)."""

    settings: Settings
    runtime: AiRuntime
    sessions: sessionmaker[Session]
    idempotency_key: str
    attempt: int = 1
    queue: Defer | None = None

    def defer(self, name: str, payload: Payload) -> bool:
        """Queue a run of job `name` on the queue running this one (other workers may take it); False when the
        same work (idempotency key) is already waiting."""
        if self.queue is None:
            raise InvalidInput(f"This run of {self.idempotency_key!r} has no queue to defer {name!r} to.")
        return self.queue(name, payload)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction, committed when the block ends normally."""
        with unit_of_work(self.sessions) as session:
            yield session

    def once(self, step: str, work: Callable[[Session], str]) -> str:
        """Run `work` in one unit of work that commits together with the mark that this step of this run is done,
        so a run delivered again (retried after a kill) skips it; returns its summary (or the earlier one)."""
        return once(self.sessions, idempotency_key=self.idempotency_key, step=step, work=work)

    def progress(self, note: str, *, done: int | None = None, total: int | None = None) -> None:
        """Tell the admins' jobs page how far this run has come (`done` of `total` and a line of text)."""
        report_progress(self.sessions, idempotency_key=self.idempotency_key, attempt=self.attempt, note=note,
                        done=done, total=total)


@runtime_checkable
class Job(Protocol):
    """One kind of work. `run` returns a one-line summary of what it did, for the worker's log."""

    @property
    def name(self) -> str: ...

    @property
    def retry(self) -> RetryPolicy: ...

    def interval(self, settings: Settings) -> float | None:
        """Seconds between periodic runs with these settings; None when it runs only when enqueued."""

    def idempotency_key(self, payload: Payload) -> str:
        """The key under which two deliveries of the same work count as one."""

    def run(self, context: JobContext, payload: Payload) -> str:
        """Do the work; raise to have it retried per `retry` (or recorded as failed)."""


JobFunction = Callable[[JobContext, Payload], str]


def payload_key(name: str, payload: Payload) -> str:
    """`name:<payload as canonical JSON>`, hashed when long; raises InvalidInput for a non-JSON payload."""
    try:
        canonical = json.dumps(dict(payload), sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"The payload of job {name!r} must be JSON: {exc}") from exc
    key = f"{name}:{canonical}"
    return key if len(key) <= _MAX_KEY else f"{name}:sha256:{hashlib.sha256(canonical.encode()).hexdigest()}"


def _never(_settings: Settings) -> float | None:
    return None


@dataclass(frozen=True)
class JobDefinition:
    """A job made from a plain function by `@job(...)`; what the `deskpilot.jobs` entry points name."""

    name: str
    function: JobFunction
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    every: Callable[[Settings], float | None] = _never

    def interval(self, settings: Settings) -> float | None:
        """The configured interval (`DESKPILOT_JOB_INTERVALS`, 0 turns it off), else the job's own."""
        if self.name in settings.job_intervals:
            configured = settings.job_intervals[self.name]
            return configured if configured > 0 else None
        return self.every(settings)

    def idempotency_key(self, payload: Payload) -> str:
        return payload_key(self.name, payload)

    def run(self, context: JobContext, payload: Payload) -> str:
        return self.function(context, payload)


def job(name: str, *, retry: RetryPolicy | None = None,
        every: Callable[[Settings], float | None] | None = None) -> Callable[[JobFunction], JobDefinition]:
    """Declare a job: `@job("sla.sweep", every=lambda s: 300.0)` over `def sweep(context, payload) -> str`."""

    def declare(function: JobFunction) -> JobDefinition:
        return JobDefinition(name=name, function=function, retry=retry or RetryPolicy(), every=every or _never)

    return declare
