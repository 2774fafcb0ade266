"""Jobs that the worker tests install through a test distribution's `deskpilot.jobs` entry points."""

from __future__ import annotations

import time

from deskpilot.jobs.base import JobContext, Payload, RetryPolicy, job

QUICK_RETRY = RetryPolicy(max_attempts=2, backoff_seconds=0.05)


@job("test.unreachable", every=lambda _settings: 3600.0, retry=QUICK_RETRY)
def unreachable(context: JobContext, _payload: Payload) -> str:
    """Fails the way a server that is down fails: a connection error on every attempt."""
    raise ConnectionRefusedError(f"server down (attempt {context.attempt})")


@job("test.slow", every=lambda _settings: 3600.0)
def slow(_context: JobContext, _payload: Payload) -> str:
    """Takes a while, so a stop request arrives while it runs."""
    time.sleep(1.5)
    return "finished the slow work"


@job("test.misnamed")
def misnamed(_context: JobContext, _payload: Payload) -> str:
    return "registered under another name"
