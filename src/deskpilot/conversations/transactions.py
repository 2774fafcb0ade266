"""Running one chat turn again when the database refused it transiently.

SQLite lets one writer in at a time, and a transaction that read before another one committed cannot start
writing ("database is locked" at once, without waiting); PostgreSQL may pick a deadlock victim. The request's
transaction is rolled back and the turn runs again in a fresh one, whose first statement takes the
conversation's lock (see `service.get(lock=True)`), so it queues instead of failing. Every turn is idempotent
by its key, so running it again is safe.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from deskpilot.errors import ProviderError

log = logging.getLogger(__name__)
T = TypeVar("T")
ATTEMPTS = 8
_RETRYABLE = ("database is locked", "deadlock detected", "could not serialize access")


def _retryable(exc: DBAPIError) -> bool:
    return any(text in str(exc.orig) for text in _RETRYABLE)


def retried(session: Session, work: Callable[[Session], T]) -> T:
    """`work(session)`, run again in a fresh transaction of `session` when the database refused it transiently."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            result = work(session)
            session.flush()
            return result
        except (OperationalError, DBAPIError) as exc:
            session.rollback()
            if not _retryable(exc) or attempt == ATTEMPTS:
                if _retryable(exc):
                    raise ProviderError("The database is busy; try again in a moment.", retryable=True) from exc
                raise
            log.info("chat turn retried (attempt %d): %s", attempt, exc.orig)
            time.sleep(random.uniform(0.005, 0.02) * attempt)  # noqa: S311 - jitter, not security
    raise AssertionError("unreachable")
