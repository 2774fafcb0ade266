"""`deskpilot worker [--once]`: run the installed jobs (mail poll and send, SLA sweep, ...).

On SQLite the jobs run in this process (`jobs.worker.Worker`, the laptop default); on PostgreSQL they run on
procrastinate (`jobs.procrastinate_queue`), so any number of worker processes share one queue and each run is
taken once."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from types import FrameType

from sqlalchemy import Engine

from deskpilot.cli.context import load_settings
from deskpilot.config import Settings
from deskpilot.db import make_engine, session_factory
from deskpilot.errors import InvalidInput
from deskpilot.jobs.base import Job
from deskpilot.jobs.enums import QueueKind
from deskpilot.jobs.procrastinate_queue import ProcrastinateQueue
from deskpilot.jobs.registry import load_jobs
from deskpilot.jobs.worker import RunOutcome, RunStatus, Worker
from deskpilot.runtime import build_runtime

_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _print_outcome(outcome: RunOutcome) -> None:
    print(f"{outcome.job} [{outcome.status}] attempt {outcome.attempt}: {outcome.summary}", flush=True)


def _announce_stop(number: int) -> None:
    print(f"{signal.Signals(number).name}: stopping after the current job", file=sys.stderr, flush=True)


def _stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    """Set `stop` on the first SIGTERM or SIGINT (a second one interrupts at once); returns the undo."""
    previous = {number: signal.getsignal(number) for number in _SIGNALS}

    def handle(number: int, _frame: FrameType | None) -> None:
        _announce_stop(number)
        stop.set()
        restore()

    def restore() -> None:
        for number, handler in previous.items():
            signal.signal(number, handler)

    for number in _SIGNALS:
        signal.signal(number, handle)
    return restore


def cmd_worker(args: argparse.Namespace) -> int:
    settings = load_settings()
    jobs = load_jobs()
    if not jobs:
        # Entry points are package metadata: a checkout whose pyproject.toml gained jobs needs reinstalling.
        raise InvalidInput("No jobs are installed; reinstall deskpilot (`pip install -e .`) so that its "
                           "`deskpilot.jobs` entry points are registered.")
    engine = make_engine(settings.resolved_database_url)
    if engine.dialect.name == "postgresql":
        return _work_on_procrastinate(args, settings, jobs, engine)
    stop = threading.Event()
    restore = _stop_on_signals(stop)
    try:
        worker = Worker(jobs=jobs, settings=settings, runtime=build_runtime(settings), sessions=session_factory(engine),
                        report=_print_outcome)
        periodic = {name: job.interval(settings) for name, job in sorted(jobs.items())}
        plan = ", ".join(f"{name} every {interval:g} s" for name, interval in periodic.items() if interval)
        print(f"worker: {len(jobs)} job(s) installed, queue {QueueKind.IN_PROCESS}; periodic: {plan or 'none'}",
              flush=True)
        counts = worker.run(stop, once=args.once)
    finally:
        restore()
        engine.dispose()
    print(f"worker stopped: {counts[RunStatus.SUCCEEDED]} run(s) succeeded, {counts[RunStatus.RETRYING]} retried, "
          f"{counts[RunStatus.FAILED]} failed", flush=True)
    return 1 if counts[RunStatus.FAILED] else 0


def _work_on_procrastinate(args: argparse.Namespace, settings: Settings, jobs: Mapping[str, Job],
                           engine: Engine) -> int:
    """Run the jobs on procrastinate until SIGTERM/SIGINT (it lets running jobs finish) or, with --once, idle."""
    counts: Counter[RunStatus] = Counter()

    def report(outcome: RunOutcome) -> None:
        counts[outcome.status] += 1
        _print_outcome(outcome)

    try:
        queue = ProcrastinateQueue(jobs=jobs, settings=settings, runtime=build_runtime(settings),
                                   sessions=session_factory(engine), report=report)
        plan = ", ".join(f"{name} every {interval:g} s" for name, job in sorted(jobs.items())
                         if (interval := job.interval(settings)))
        print(f"worker: {len(jobs)} job(s) installed, queue {QueueKind.PROCRASTINATE} "
              f"(concurrency {settings.worker_concurrency}); periodic: {plan or 'none'}", flush=True)
        queue.run(once=args.once, on_signal=_announce_stop)
    finally:
        engine.dispose()
    print(f"worker stopped: {counts[RunStatus.SUCCEEDED]} run(s) succeeded, {counts[RunStatus.RETRYING]} retried, "
          f"{counts[RunStatus.FAILED]} failed", flush=True)
    return 1 if counts[RunStatus.FAILED] else 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = sub.add_parser("worker", help="run background and periodic jobs (mail, SLA sweep, ...) until stopped")
    worker.add_argument("--once", action="store_true",
                        help="run the jobs due now (and their retries) once, then exit")
    worker.set_defaults(func=cmd_worker)
