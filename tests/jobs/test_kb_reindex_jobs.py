"""`kb reindex` as worker jobs: the texts needing vectors are planned into batches that workers embed (each text
once, a failed batch retried without embedding again what was saved), with progress per run, and the index is
built when the last batch is done: the same index `deskpilot kb reindex` builds in one process."""

from __future__ import annotations

import dataclasses
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from deskpilot.assist.index_store import KbIndex
from deskpilot.config import Environment, Settings
from deskpilot.db import session_factory
from deskpilot.jobs.base import Job, JobContext, Payload
from deskpilot.jobs.kb_reindex import EMBED, INDEX, PLAN, build_index, embed_batch, plan_reindex
from deskpilot.jobs.models import JobProgress
from deskpilot.jobs.procrastinate_queue import ProcrastinateQueue
from deskpilot.jobs.worker import RunStatus, Worker
from deskpilot.kb import embedding_batches, indexing
from deskpilot.ml.embeddings import Embedder, Vectors
from deskpilot.runtime import AiRuntime
from tests.entry_points import write_distribution
from tests.factories import make_desk
from tests.jobs.test_postgres_queue import _OFF, ROOT, _wait_for
from tests.kb.conftest import VPN_BODY, publish

JOBS: dict[str, Job] = {PLAN: plan_reindex, EMBED: embed_batch, INDEX: build_index}
ARTICLES = 5


class CountingEmbedder:
    """The runtime's real embedder, counting the texts it embeds; `fail_after` texts it fails like a worker that
    died (raises before embedding any text of the call that would pass the limit)."""

    def __init__(self, embedder: Embedder, *, fail_after: int | None = None) -> None:
        self.inner, self.fail_after = embedder, fail_after
        self.model_id, self.dimension = embedder.model_id, embedder.dimension
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors:
        if self.fail_after is not None and len(self.texts) + len(texts) > self.fail_after:
            raise ConnectionResetError("the worker died mid-batch")
        self.texts.extend(texts)
        return self.inner.encode(texts, batch_size=batch_size)


@pytest.fixture
def sessions(session: Session, engine: Engine) -> sessionmaker[Session]:
    desk = make_desk(session)
    for number in range(ARTICLES):
        publish(session, desk, slug=f"vpn-{number}", title=f"Connect to VPN from office {number}",
                body=f"{VPN_BODY}\n\nOffice {number} uses gateway gw{number}.corp.example.")
    session.commit()
    session.close()
    return session_factory(engine)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, environment=Environment.TEST, data_dir=tmp_path / "var")


def _runtime(ai_runtime: AiRuntime, embedder: CountingEmbedder) -> AiRuntime:
    return dataclasses.replace(ai_runtime, embedder=embedder)  # type: ignore[arg-type]


def _distinct_texts(sessions: sessionmaker[Session], embedder: Embedder) -> set[str]:
    with sessions() as session:
        return {t for texts in embedding_batches.article_texts(session, embedder=embedder).values() for t in texts}


def _progress(sessions: sessionmaker[Session], run: str) -> JobProgress:
    with sessions() as session:
        return session.scalars(select(JobProgress).where(JobProgress.job == PLAN,
                                                         JobProgress.note.contains(f"run {run}"))).one()


def test_the_worker_embeds_the_batches_once_counts_them_and_builds_the_index_after_the_last(
        settings: Settings, sessions: sessionmaker[Session], ai_runtime: AiRuntime) -> None:
    embedder = CountingEmbedder(ai_runtime.embedder)
    worker = Worker(jobs=JOBS, settings=settings, runtime=_runtime(ai_runtime, embedder), sessions=sessions)
    assert worker.enqueue(PLAN, {"run": "first", "texts_per_batch": 4})

    counts = worker.run(threading.Event(), once=True)

    distinct = _distinct_texts(sessions, ai_runtime.embedder)
    assert sorted(embedder.texts) == sorted(distinct)  # every text embedded, each once
    progress = _progress(sessions, "first")
    assert progress.total is not None and progress.total > 1 and progress.done == progress.total
    assert counts[RunStatus.SUCCEEDED] == progress.total + 2 and counts[RunStatus.FAILED] == 0
    built = KbIndex.load(indexing.index_path(settings.index_dir), ai_runtime.embedder)
    with sessions() as session:
        reference = indexing.rebuild(session, index_dir=settings.data_dir / "reference", embedder=ai_runtime.embedder)
    assert sorted(built.chunks) == sorted(reference.chunks) and len(built) == ARTICLES
    for chunk_id in reference.chunks:
        assert built.vectors.vector(chunk_id).tobytes() == reference.vectors.vector(chunk_id).tobytes()

    assert worker.enqueue(PLAN, {"run": "again"})
    worker.run(threading.Event(), once=True)
    assert len(embedder.texts) == len(distinct)  # nothing changed, nothing embedded again
    assert _progress(sessions, "again").total == 0


def test_a_batch_whose_worker_died_is_delivered_again_and_embeds_only_what_was_not_saved(
        settings: Settings, sessions: sessionmaker[Session], ai_runtime: AiRuntime) -> None:
    deferred: list[tuple[str, Payload]] = []

    def deliver(job: Job, payload: Payload, embedder: CountingEmbedder, attempt: int = 1) -> str:
        context = JobContext(settings=settings, runtime=_runtime(ai_runtime, embedder), sessions=sessions,
                             idempotency_key=job.idempotency_key(payload), attempt=attempt,
                             queue=lambda name, follow_up: deferred.append((name, follow_up)) is None)
        return job.run(context, payload)

    planner = CountingEmbedder(ai_runtime.embedder)
    deliver(plan_reindex, {"run": "r"}, planner)
    deliver(plan_reindex, {"run": "r"}, planner, attempt=2)  # the plan delivered twice defers the same batches
    batches = [payload for name, payload in deferred if name == EMBED]
    assert len(batches) == 2 and batches[0] == batches[1] and planner.texts == []

    deferred.clear()
    deliver(plan_reindex, {"run": "small", "texts_per_batch": 3}, planner)
    first, second, *rest = [payload for name, payload in deferred if name == EMBED]
    done = CountingEmbedder(ai_runtime.embedder)
    deliver(embed_batch, first, done)
    dying = CountingEmbedder(ai_runtime.embedder, fail_after=0)
    with pytest.raises(ConnectionResetError):
        deliver(embed_batch, second, dying)
    retried = CountingEmbedder(ai_runtime.embedder)
    deliver(embed_batch, first, retried, attempt=2)  # delivered again after it finished: counted once
    deliver(embed_batch, second, retried, attempt=2)
    assert not set(done.texts) & set(retried.texts) and retried.texts

    for payload in rest:
        deliver(embed_batch, payload, retried)
    assert [name for name, _ in deferred].count(INDEX) == 1
    progress = _progress(sessions, "small")
    assert progress.done == progress.total == len(rest) + 2
    assert "0 texts left for the build to embed" in deliver(build_index, {"run": "small"}, retried)
    assert deliver(build_index, {"run": "small"}, retried, attempt=2).startswith("already done")
    assert sorted(done.texts + retried.texts) == sorted(_distinct_texts(sessions, ai_runtime.embedder))


def test_on_procrastinate_workers_run_the_batches_and_the_build(
        settings: Settings, sessions: sessionmaker[Session], ai_runtime: AiRuntime, engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the procrastinate queue runs on PostgreSQL; SQLite runs the jobs in-process")
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM procrastinate.procrastinate_jobs"))
    embedder = CountingEmbedder(ai_runtime.embedder)
    queue = ProcrastinateQueue(jobs=JOBS, settings=settings.model_copy(update={"worker_concurrency": 2}),
                               runtime=_runtime(ai_runtime, embedder), sessions=sessions)
    assert queue.enqueue(PLAN, {"run": "pg", "texts_per_batch": 4})

    for _ in range(10):  # runs deferred by a run that ends after the queue looked empty wait for the next pass
        queue.run(once=True)
        with engine.connect() as connection:
            if not connection.execute(text("SELECT count(*) FROM procrastinate.procrastinate_jobs "
                                           "WHERE status IN ('todo', 'doing')")).scalar_one():
                break

    with engine.connect() as connection:
        statuses = connection.execute(text("SELECT task_name, status FROM procrastinate.procrastinate_jobs")).all()
    assert {status for _, status in statuses} == {"succeeded"}
    assert sorted(embedder.texts) == sorted(_distinct_texts(sessions, ai_runtime.embedder))
    progress = _progress(sessions, "pg")
    assert progress.total is not None and progress.done == progress.total > 1
    assert [name for name, _ in statuses].count(INDEX) == 1
    assert len(KbIndex.load(indexing.index_path(settings.index_dir), ai_runtime.embedder)) == ARTICLES


def test_kb_reindex_queue_hands_the_run_to_the_workers_on_postgresql_and_says_what_to_do_on_sqlite(
        database_url: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], deskpilot_entry_points: Path) -> None:
    from deskpilot.cli import main

    monkeypatch.setenv("DESKPILOT_DATABASE_URL", database_url)
    monkeypatch.setenv("DESKPILOT_DATA_DIR", str(tmp_path / "var"))
    assert main(["kb", "reindex", "--queue", "--texts-per-batch", "0"]) == 2
    assert "--texts-per-batch must be at least 1" in capsys.readouterr().err
    if engine.dialect.name != "postgresql":
        assert main(["kb", "reindex", "--queue"]) == 2
        assert "run `deskpilot kb reindex` instead" in capsys.readouterr().err
        return
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM procrastinate.procrastinate_jobs"))

    assert main(["kb", "reindex", "--queue", "--texts-per-batch", "64"]) == 0

    assert "its progress is on /admin/jobs" in capsys.readouterr().out
    with engine.connect() as connection:
        [(task, args, status)] = connection.execute(text(
            "SELECT task_name, args, status FROM procrastinate.procrastinate_jobs")).all()
    assert (task, status, args["texts_per_batch"]) == (PLAN, "todo", 64) and args["run"]


def test_a_worker_killed_after_saving_its_batch_has_the_batch_retried_by_another_without_embedding_it_again(
        settings: Settings, sessions: sessionmaker[Session], ai_runtime: AiRuntime, engine: Engine,
        database_url: str, tmp_path: Path) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the procrastinate queue runs on PostgreSQL; SQLite runs the jobs in-process")
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM procrastinate.procrastinate_jobs"))
    hang = tmp_path / "hang"
    hang.touch()
    queue = ProcrastinateQueue(jobs=JOBS, settings=settings, runtime=None, sessions=sessions)
    assert queue.enqueue(PLAN, {"run": "killed", "texts_per_batch": 4})
    site = write_distribution(tmp_path / "plugin", "deskpilot-test-jobs", {"deskpilot.jobs": {
        PLAN: "deskpilot.jobs.kb_reindex:plan_reindex", EMBED: "tests.jobs.sample_jobs:embed_then_hang",
        INDEX: "deskpilot.jobs.kb_reindex:build_index"}})
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(site), str(ROOT / "src"), str(ROOT)]),
                        "DESKPILOT_DATABASE_URL": database_url, "DESKPILOT_DATA_DIR": str(settings.data_dir),
                        "DESKPILOT_JOB_INTERVALS": _OFF, "DESKPILOT_WORKER_STALLED_SECONDS": "2",
                        "DESKPILOT_WORKER_CONCURRENCY": "1", "KB_HANG_FILE": str(hang)}
    workers = {worker.pid: worker for worker in (
        subprocess.Popen([sys.executable, "-m", "deskpilot.cli", "worker"], cwd=tmp_path, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2))}
    _wait_for("batch 0 saved by a worker", hang.with_suffix(".pid").is_file)
    pid, saved_by_victim = (int(field) for field in hang.with_suffix(".pid").read_text().split())
    victim = workers.pop(pid)
    victim.kill()  # SIGKILL after its vectors were saved, before the batch was counted
    victim_log, _ = victim.communicate(timeout=30)  # what it finished before batch 0 (one run at a time)
    hang.unlink()

    _wait_for("the run to end", lambda: _queue_count(engine, "status IN ('todo', 'doing')") == 0
              and _queue_count(engine, f"task_name = '{INDEX}' AND status = 'succeeded'") == 1)
    [survivor] = workers.values()
    survivor.send_signal(signal.SIGTERM)
    log, _ = survivor.communicate(timeout=60)

    assert "kb.embed [succeeded] attempt 2: run killed, batch 0: embedded 0 of" in log, log
    embedded_after = sum(int(number) for number in re.findall(r"kb\.embed \[succeeded\].*: embedded (\d+) of",
                                                              victim_log + log))
    assert saved_by_victim + embedded_after == len(_distinct_texts(sessions, ai_runtime.embedder))  # each once
    progress = _progress(sessions, "killed")
    assert progress.done == progress.total == ARTICLES
    assert "0 texts left for the build to embed" in log
    assert len(KbIndex.load(indexing.index_path(settings.index_dir), ai_runtime.embedder)) == ARTICLES


def _queue_count(engine: Engine, where: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM procrastinate.procrastinate_jobs WHERE {where}"))
                   .scalar_one())
