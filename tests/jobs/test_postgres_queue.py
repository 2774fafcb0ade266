"""`deskpilot worker` on PostgreSQL runs the jobs on procrastinate: several worker processes share one queue, a
worker killed mid-run (kill -9) has its run retried by another, and the run's effect still happens once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from deskpilot.config import Environment, Settings
from deskpilot.db import session_factory
from deskpilot.jobs.models import FailedJob
from deskpilot.jobs.procrastinate_queue import ProcrastinateQueue
from tests.entry_points import write_distribution
from tests.jobs.sample_jobs import effect, unreachable

ROOT = Path(__file__).resolve().parents[2]
_OFF = '{"sla.sweep": 0, "mail.poll": 0, "mail.send": 0, "directory.sync": 0, "test.unreachable": 0}'


def _wait_for(what: str, check: Callable[[], bool], timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.2)


@pytest.fixture
def postgres(database_url: str, engine: Engine, session: Session) -> Iterator[Engine]:
    if engine.dialect.name != "postgresql":
        pytest.skip("the procrastinate queue runs on PostgreSQL; SQLite runs the jobs in-process")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE queue_test_effects (id serial PRIMARY KEY, run text NOT NULL, "
                                "pid int NOT NULL)"))
        connection.execute(text("DELETE FROM procrastinate.procrastinate_jobs"))
    yield engine
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE queue_test_effects"))


def _worker(tmp_path: Path, database_url: str) -> subprocess.Popen[str]:
    site = tmp_path / "plugin"
    if not site.exists():
        write_distribution(site, "deskpilot-test-jobs", {"deskpilot.jobs": {
            "test.effect": "tests.jobs.sample_jobs:effect", "test.unreachable": "tests.jobs.sample_jobs:unreachable"}})
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(site), str(ROOT / "src"), str(ROOT)]),
                        "DESKPILOT_DATABASE_URL": database_url, "DESKPILOT_DATA_DIR": str(tmp_path / "var"),
                        "DESKPILOT_JOB_INTERVALS": _OFF, "DESKPILOT_WORKER_STALLED_SECONDS": "2"}
    return subprocess.Popen([sys.executable, "-m", "deskpilot.cli", "worker"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


def test_a_run_killed_mid_run_is_retried_by_another_worker_and_its_effect_happens_once(
        tmp_path: Path, database_url: str, postgres: Engine) -> None:
    settings = Settings(environment=Environment.TEST, database_url=database_url, data_dir=tmp_path / "var")
    queue = ProcrastinateQueue(jobs={"test.effect": effect, "test.unreachable": unreachable}, settings=settings,
                               runtime=None, sessions=session_factory(postgres))
    hang = tmp_path / "hang"
    hang.touch()
    assert queue.enqueue("test.effect", {"run": "killed", "hang_file": str(hang)})
    assert not queue.enqueue("test.effect", {"run": "killed", "hang_file": str(hang)})  # the same work waits once
    for run in range(8):
        assert queue.enqueue("test.effect", {"run": f"r{run}"})
    assert queue.enqueue("test.unreachable", {})

    workers = {worker.pid: worker for worker in (_worker(tmp_path, database_url) for _ in range(3))}
    _wait_for("the first run's effect", lambda: _count(
        postgres, "SELECT count(*) FROM queue_test_effects WHERE run = 'killed'") == 1)
    victim = workers.pop(_count(postgres, "SELECT pid FROM queue_test_effects WHERE run = 'killed'"))
    victim.kill()  # SIGKILL mid-run: no clean-up, no goodbye to the queue; its run stays 'doing'
    victim.communicate(timeout=30)
    hang.unlink()

    _wait_for("every run to end", lambda: _count(
        postgres, "SELECT count(*) FROM procrastinate.procrastinate_jobs WHERE status IN ('todo', 'doing')") == 0)
    outputs, codes = [], []
    for worker in workers.values():
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=60)
        outputs.append(out)
        codes.append(worker.returncode)
    log = "".join(outputs)

    with postgres.connect() as connection:
        runs = sorted(connection.execute(text("SELECT run FROM queue_test_effects")).scalars())
    assert runs == sorted(["killed"] + [f"r{run}" for run in range(8)])  # each effect once
    assert "test.effect [succeeded] attempt 2: already done by an earlier delivery: wrote killed" in log
    assert sum(f"[succeeded] attempt 1: wrote r{run}\n" in log for run in range(8)) == 8
    assert log.count("[succeeded]") == 9  # several workers, each run taken by one of them
    assert "test.unreachable [retrying] attempt 1" in log and "test.unreachable [failed] attempt 2" in log
    assert sorted(codes) == [0, 1], log  # the worker that saw the unreachable job give up exits 1
    with session_factory(postgres)() as session:
        failed = session.query(FailedJob).one()
    assert (failed.job, failed.attempts) == ("test.unreachable", 2)
    assert "server down (attempt 2)" in failed.error
