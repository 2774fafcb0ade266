"""The worker: retries with backoff, the dead-letter table, one run per slot and key, clean shutdown."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from deskpilot.config import Environment, Settings
from deskpilot.db import session_factory
from deskpilot.errors import InvalidInput, ProviderError
from deskpilot.jobs.base import JobContext, JobDefinition, Payload, RetryPolicy
from deskpilot.jobs.models import FailedJob
from deskpilot.jobs.registry import load_jobs
from deskpilot.jobs.worker import RunOutcome, RunStatus, Worker
from deskpilot.runtime import AiRuntime
from tests.entry_points import install


@pytest.fixture
def sessions(session: Session, engine: Engine) -> sessionmaker[Session]:
    session.close()
    return session_factory(engine)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, environment=Environment.TEST, data_dir=tmp_path / "var")


def test_a_job_that_fails_twice_is_retried_with_growing_backoff_and_then_succeeds(
        settings: Settings, sessions: sessionmaker[Session],
        ai_runtime: AiRuntime) -> None:
    started: list[float] = []

    def flaky(context: JobContext, payload: Payload) -> str:
        started.append(time.monotonic())
        if context.attempt < 3:
            raise ProviderError("the IMAP server timed out", retryable=True)
        return f"took ticket {payload['ticket_id']} on attempt {context.attempt}"

    flaky_job = JobDefinition(name="test.flaky", function=flaky, retry=RetryPolicy(max_attempts=3, backoff_seconds=0.2))
    outcomes: list[RunOutcome] = []
    worker = Worker(jobs={"test.flaky": flaky_job}, settings=settings, runtime=ai_runtime, sessions=sessions,
                    report=outcomes.append)
    assert worker.enqueue("test.flaky", {"ticket_id": 7})

    counts = worker.run(threading.Event(), once=True)

    assert [o.status for o in outcomes] == [RunStatus.RETRYING, RunStatus.RETRYING, RunStatus.SUCCEEDED]
    assert outcomes[-1].summary == "took ticket 7 on attempt 3"
    assert started[1] - started[0] >= 0.2 and started[2] - started[1] >= 0.4
    assert counts[RunStatus.SUCCEEDED] == 1
    with sessions() as db:
        assert db.scalars(select(FailedJob)).all() == []


def test_a_domain_error_is_not_retried_and_is_kept_as_a_failed_job_at_once(
        settings: Settings, sessions: sessionmaker[Session], ai_runtime: AiRuntime) -> None:
    def refuses(_context: JobContext, _payload: Payload) -> str:
        raise InvalidInput("Ticket DP-9 does not exist.")

    worker = Worker(jobs={"test.refuses": JobDefinition(name="test.refuses", function=refuses)}, settings=settings,
                    runtime=ai_runtime, sessions=sessions)
    worker.enqueue("test.refuses", {"ticket_id": 9})

    counts = worker.run(threading.Event(), once=True)

    assert counts == {RunStatus.FAILED: 1}
    with sessions() as db:
        failed = db.scalars(select(FailedJob)).one()
    assert (failed.job, failed.attempts, failed.payload) == ("test.refuses", 1, {"ticket_id": 9})
    assert failed.error == "InvalidInput: Ticket DP-9 does not exist."
    assert failed.idempotency_key == 'test.refuses:{"ticket_id":9}'


def test_a_job_whose_retries_run_out_is_listed_by_jobs_failed(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str, session: Session,
        capsys: pytest.CaptureFixture[str]) -> None:
    from deskpilot.cli import main

    install(monkeypatch, tmp_path / "plugin", "deskpilot-test-jobs",
            {"deskpilot.jobs": {"test.unreachable": "tests.jobs.sample_jobs:unreachable"}})
    monkeypatch.setenv("DESKPILOT_DATABASE_URL", database_url)
    monkeypatch.setenv("DESKPILOT_JOB_INTERVALS", '{"sla.sweep": 0, "mail.poll": 0, "mail.send": 0}')

    assert main(["worker", "--once"]) == 1
    run = capsys.readouterr().out
    assert "test.unreachable [retrying] attempt 1: ConnectionRefusedError: server down (attempt 1)" in run
    assert "test.unreachable [failed] attempt 2" in run and "1 failed" in run

    assert main(["jobs", "failed"]) == 0
    listing = capsys.readouterr().out
    assert "test.unreachable" in listing and "2 attempt(s)" in listing
    assert "ConnectionRefusedError: server down (attempt 2)" in listing
    failed = session.scalars(select(FailedJob)).one()
    assert failed.idempotency_key.startswith('test.unreachable:{"slot":"')


def test_a_periodic_job_runs_once_per_slot_and_waiting_work_once_per_key(settings: Settings,
                                                                          sessions: sessionmaker[Session],
        ai_runtime: AiRuntime) -> None:
    runs: list[str] = []

    def note(context: JobContext, _payload: Payload) -> str:
        runs.append(context.idempotency_key)
        return "noted"

    every_minute = JobDefinition(name="test.note", function=note, every=lambda _settings: 60.0)
    worker = Worker(jobs={"test.note": every_minute}, settings=settings, runtime=ai_runtime, sessions=sessions)
    start = datetime(2026, 12, 2, 9, 0, 10, tzinfo=UTC)

    worker.schedule_due(start)
    worker.schedule_due(start + timedelta(seconds=30))
    assert len(worker.queue) == 1
    assert not worker.enqueue("test.note", {"slot": "2026-12-02T09:00:00+00:00"}, not_before=start)
    worker.run_due(threading.Event())
    worker.schedule_due(start + timedelta(seconds=40))
    assert len(worker.queue) == 0
    worker.schedule_due(start + timedelta(seconds=50))
    worker.run_due(threading.Event())

    assert runs == ['test.note:{"slot":"2026-12-02T09:00:00+00:00"}', 'test.note:{"slot":"2026-12-02T09:01:00+00:00"}']


def test_configured_intervals_override_a_jobs_own_and_zero_turns_it_off(settings: Settings) -> None:
    def idle(_context: JobContext, _payload: Payload) -> str:
        return "idle"

    periodic = JobDefinition(name="test.idle", function=idle, every=lambda _settings: 300.0)

    assert periodic.interval(settings) == 300.0
    assert periodic.interval(settings.model_copy(update={"job_intervals": {"test.idle": 20.0}})) == 20.0
    assert periodic.interval(settings.model_copy(update={"job_intervals": {"test.idle": 0.0}})) is None


def test_unknown_jobs_and_payloads_that_are_not_json_are_refused(settings: Settings,
                                                                 sessions: sessionmaker[Session],
                                                                 ai_runtime: AiRuntime) -> None:
    def idle(_context: JobContext, _payload: Payload) -> str:
        return "idle"

    worker = Worker(jobs={"test.idle": JobDefinition(name="test.idle", function=idle)}, settings=settings,
                    runtime=ai_runtime, sessions=sessions)
    with pytest.raises(InvalidInput, match="There is no job 'test.nope'; installed: test.idle"):
        worker.enqueue("test.nope", {})
    with pytest.raises(InvalidInput, match="must be JSON"):
        worker.enqueue("test.idle", {"when": datetime(2026, 12, 2, tzinfo=UTC)})
    assert len(worker.queue) == 0


def test_an_entry_point_naming_a_job_of_another_name_is_refused(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    install(monkeypatch, tmp_path / "plugin", "deskpilot-test-jobs",
            {"deskpilot.jobs": {"test.other": "tests.jobs.sample_jobs:misnamed"}})

    with pytest.raises(TypeError, match="must name a Job called 'test.other'"):
        load_jobs()


def test_the_desks_own_jobs_are_declared_as_entry_points(deskpilot_entry_points: Path) -> None:
    jobs = load_jobs()

    assert {"mail.poll", "mail.send", "sla.sweep"} <= set(jobs)
    assert all(name == job.name for name, job in jobs.items())


def test_a_worker_with_no_jobs_installed_says_how_to_register_them(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from deskpilot.cli import main

    install(monkeypatch, tmp_path / "bare", "deskpilot", {})
    monkeypatch.setenv("DESKPILOT_DATA_DIR", str(tmp_path / "var"))

    assert main(["worker", "--once"]) == 2
    assert "No jobs are installed; reinstall deskpilot" in capsys.readouterr().err
