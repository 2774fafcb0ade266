"""Jobs that the worker tests install through a test distribution's `deskpilot.jobs` entry points."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from deskpilot.jobs.base import JobContext, Payload, RetryPolicy, job
from deskpilot.jobs.kb_reindex import embed_batch
from deskpilot.kb import embedding_batches

QUICK_RETRY = RetryPolicy(max_attempts=2, backoff_seconds=0.05)


@job("test.unreachable", every=lambda _settings: 3600.0, retry=QUICK_RETRY)
def unreachable(context: JobContext, _payload: Payload) -> str:
    """Fails the way a server that is down fails: a connection error on every attempt."""
    raise ConnectionRefusedError(f"server down (attempt {context.attempt})")


@job("test.slow", every=lambda _settings: 3600.0)
def slow(_context: JobContext, _payload: Payload) -> str:
    """Takes a while, so a stop request arrives while it runs; touches $SLOW_JOB_STARTED (if set) as it starts."""
    if started := os.environ.get("SLOW_JOB_STARTED"):
        Path(started).touch()
    time.sleep(1.5)
    return "finished the slow work"


@job("test.misnamed")
def misnamed(_context: JobContext, _payload: Payload) -> str:
    return "registered under another name"


@job("test.effect", retry=QUICK_RETRY)
def effect(context: JobContext, payload: Payload) -> str:
    """Writes one row per run once (its effect, with the worker's pid), then hangs while `hang_file` exists: a
    worker to kill mid-run."""

    def write(session: Session) -> str:
        session.execute(text("INSERT INTO queue_test_effects (run, pid) VALUES (:run, :pid)"),
                        {"run": payload["run"], "pid": os.getpid()})
        return f"wrote {payload['run']}"

    summary = context.once("write", write)
    while Path(str(payload.get("hang_file", ""))).is_file():
        time.sleep(0.1)
    return summary


@job("kb.embed", retry=QUICK_RETRY)
def embed_then_hang(context: JobContext, payload: Payload) -> str:
    """`kb.embed`, except that the first delivery of batch 0 saves its batch's vectors and then hangs while
    $KB_HANG_FILE exists, after writing "<pid> <texts embedded>" beside it: a worker to kill after the work was
    saved and before the batch was counted."""
    hang = Path(os.environ.get("KB_HANG_FILE", "/nonexistent"))
    if payload.get("batch") == 0 and context.attempt == 1 and hang.is_file():
        with context.unit_of_work() as session:
            texts = [t for group in embedding_batches.article_texts(session, embedder=context.runtime.embedder,
                                                           slugs=list(payload["slugs"])).values() for t in group]
        embedded = embedding_batches.fill_embedding_cache(texts, index_dir=context.settings.index_dir,
                                                 embedder=context.runtime.embedder)
        hang.with_suffix(".pid").write_text(f"{os.getpid()} {embedded}")
        while hang.is_file():
            time.sleep(0.1)
    return embed_batch.run(context, payload)
