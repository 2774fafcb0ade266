"""Enumerations of the jobs area."""

from __future__ import annotations

from enum import StrEnum


class DeadLetterStatus(StrEnum):
    """Where a run that failed for good stands: waiting for an admin, asked to run again, run again, or put aside."""

    FAILED = "failed"
    RETRY_REQUESTED = "retry_requested"
    REQUEUED = "requeued"
    DISCARDED = "discarded"


class QueueKind(StrEnum):
    """Which queue `deskpilot worker` runs: in this process (SQLite, the laptop) or procrastinate (PostgreSQL)."""

    IN_PROCESS = "in-process"
    PROCRASTINATE = "procrastinate"
