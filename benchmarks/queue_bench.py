"""Job queues side by side: the in-process queue (SQLite, the laptop) and procrastinate on PostgreSQL.

    PYTHONPATH=src .venv/bin/python benchmarks/queue_bench.py [--runs 2000] [--concurrency 4] \
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

A no-op job (`bench.noop`: it notes how long it waited) runs `--runs` times on each queue, in the same run:
- enqueue: runs queued per second (the in-process heap; procrastinate's `defer`, one INSERT each);
- drain: runs started and finished per second by one worker (in-process) or one worker process with
  `--concurrency` jobs at a time (procrastinate, LISTEN/NOTIFY wakes it);
- latency: from enqueue to start, for 200 runs queued one every 10 ms while the worker waits (p50/p95).
A throw-away PostgreSQL database is created, migrated and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import threading
import time
from pathlib import Path
from tempfile import TemporaryDirectory

from sqlalchemy import text

from deskpilot.config import Environment, Settings
from deskpilot.db import make_engine, session_factory
from deskpilot.evaluation.retrieval import percentile
from deskpilot.jobs.base import JobContext, JobDefinition, Payload
from deskpilot.jobs.procrastinate_queue import ProcrastinateQueue
from deskpilot.jobs.worker import Worker
from deskpilot.migrations import upgrade
from deskpilot.runtime import AiRuntime, build_runtime

_LATENCY_RUNS = 200
_LATENCY_GAP = 0.01


class Noop:
    """The job: records how long each run waited between enqueue and start."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, _context: JobContext, payload: Payload) -> str:
        with self._lock:
            self.count += 1
            if "sent" in payload:
                self.waits.append(time.perf_counter() - float(payload["sent"]))
        return "ok"


def _line(name: str, enqueue: float, drain: float, waits: list[float]) -> None:
    print(f"{name:34} {enqueue:12,.0f} {drain:12,.0f} {percentile(waits, 50) * 1000:10.2f} "
          f"{percentile(waits, 95) * 1000:10.2f}", flush=True)


def in_process(runs: int, noop: Noop, settings: Settings, runtime: AiRuntime) -> None:
    job = JobDefinition(name="bench.noop", function=noop)
    worker = Worker(jobs={"bench.noop": job}, settings=settings, runtime=runtime,
                    sessions=session_factory(make_engine(settings.resolved_database_url)))
    started = time.perf_counter()
    for run in range(runs):
        worker.enqueue("bench.noop", {"run": run})
    enqueue = runs / (time.perf_counter() - started)
    started = time.perf_counter()
    worker.run_due(threading.Event())
    drain = runs / (time.perf_counter() - started)
    for run in range(_LATENCY_RUNS):  # the worker takes each run at its next look at the queue
        worker.enqueue("bench.noop", {"run": f"l{run}", "sent": time.perf_counter()})
        worker.run_due(threading.Event())
        time.sleep(_LATENCY_GAP)
    _line("in-process (heap, one worker)", enqueue, drain, noop.waits)


async def _procrastinate(queue: ProcrastinateQueue, runs: int, noop: Noop, concurrency: int) -> tuple[float, float]:
    task = queue.app.tasks["bench.noop"]
    async with queue.app.open_async():
        started = time.perf_counter()
        for run in range(runs):
            await task.configure(queueing_lock=f"bench.noop:{run}").defer_async(run=run)
        enqueue = runs / (time.perf_counter() - started)
        started = time.perf_counter()
        worker = asyncio.create_task(queue.app.run_worker_async(concurrency=concurrency, wait=True,
                                                                install_signal_handlers=False))
        while noop.count < runs:
            await asyncio.sleep(0.01)
        drain = runs / (time.perf_counter() - started)
        for run in range(_LATENCY_RUNS):
            await task.defer_async(run=f"l{run}", sent=time.perf_counter())
            await asyncio.sleep(_LATENCY_GAP)
        while noop.count < runs + _LATENCY_RUNS:
            await asyncio.sleep(0.01)
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
    return enqueue, drain


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with TemporaryDirectory() as scratch:
        base = Settings(environment=Environment.TEST, data_dir=Path(scratch), worker_concurrency=args.concurrency)
        runtime = build_runtime(base)
        sqlite = base.model_copy(update={"database_url": f"sqlite:///{scratch}/bench.db"})
        upgrade(sqlite.resolved_database_url)
        print(f"{args.runs} no-op runs; latency over {_LATENCY_RUNS} runs queued every {_LATENCY_GAP * 1000:.0f} ms")
        print(f"{'queue':34} {'enqueue/s':>12} {'drain/s':>12} {'p50 ms':>10} {'p95 ms':>10}")
        in_process(args.runs, Noop(), sqlite, runtime)

        name = f"deskpilot_queue_bench_{secrets.token_hex(4)}"
        admin = make_engine(args.postgres).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = args.postgres.rsplit("/", 1)[0] + "/" + name
        try:
            upgrade(url)
            noop = Noop()
            queue = ProcrastinateQueue(jobs={"bench.noop": JobDefinition(name="bench.noop", function=noop)},
                                       settings=base.model_copy(update={"database_url": url}), runtime=runtime,
                                       sessions=session_factory(make_engine(url)))
            enqueue, drain = asyncio.run(_procrastinate(queue, args.runs, noop, args.concurrency))
            _line(f"procrastinate (PostgreSQL, {args.concurrency} at once)", enqueue, drain, noop.waits)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return 0


if __name__ == "__main__":
    sys.exit(main())
