"""Where runs wait until they are due: the in-process queue of `deskpilot worker`.

It lives in the worker's memory: the laptop default (one process, SQLite), not a distributed queue. On
PostgreSQL `deskpilot worker` runs the same jobs on procrastinate instead (`jobs/procrastinate_queue.py`), which
keeps runs across restarts and hands each to one of several workers; the jobs themselves do not change.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from deskpilot.clock import utcnow


@dataclass(frozen=True)
class Delivery:
    """One run of a job: its payload, its idempotency key and which attempt this is."""

    job: str
    payload: dict[str, Any]
    idempotency_key: str
    attempt: int = 1
    first_attempt_at: datetime = field(default_factory=utcnow)

    def next_attempt(self) -> Delivery:
        return replace(self, attempt=self.attempt + 1)


class InProcessQueue:
    """Deliveries ordered by due time, at most one waiting per idempotency key."""

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, Delivery]] = []
        self._waiting: set[str] = set()
        self._order = itertools.count()

    def enqueue(self, delivery: Delivery, *, not_before: datetime) -> bool:
        if delivery.idempotency_key in self._waiting:
            return False
        self._waiting.add(delivery.idempotency_key)
        heapq.heappush(self._heap, (not_before, next(self._order), delivery))
        return True

    def take_due(self, now: datetime) -> Delivery | None:
        """The earliest delivery due at `now`, removed from the queue; None when nothing is due."""
        if not self._heap or self._heap[0][0] > now:
            return None
        _, _, delivery = heapq.heappop(self._heap)
        self._waiting.discard(delivery.idempotency_key)
        return delivery

    def next_due(self) -> datetime | None:
        return self._heap[0][0] if self._heap else None

    def __len__(self) -> int:
        return len(self._heap)
