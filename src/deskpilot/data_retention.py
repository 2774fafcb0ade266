"""What an owner of stored data hands the retention flow: for one kind of data, how to expire what is older than
a cut-off. Like `personal_data.py`, plain data and a Protocol that every layer may import, so the flow
(`privacy/retention.py`) never reads another owner's tables.

Expiring removes the content (text, files) and keeps the skeleton that the KPIs and the audit chain count on:
a closed ticket keeps its dates, category and priority; a chat its state and resolution; an AI decision its
input hash, outputs and model version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol, runtime_checkable

from sqlalchemy import delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from deskpilot.config import Settings


class RetentionKind(StrEnum):
    CLOSED_TICKETS = "closed_tickets"
    CHATS = "chats"
    RAW_MAIL = "raw_mail"
    AI_DECISION_INPUTS = "ai_decision_inputs"
    LOGS = "logs"


# Days a kind is kept by default (`DESKPILOT_RETENTION_DAYS` overrides per kind; 0 keeps it for ever).
DEFAULT_DAYS: dict[RetentionKind, int] = {
    RetentionKind.CLOSED_TICKETS: 730,
    RetentionKind.CHATS: 180,
    RetentionKind.RAW_MAIL: 90,
    RetentionKind.AI_DECISION_INPUTS: 365,
    RetentionKind.LOGS: 90,
}
EXPIRED_TEXT = "(removed after the retention period)"


@dataclass(frozen=True, slots=True)
class Expired:
    """What one sweep removed (or, in a dry run, would remove): records whose content went, files deleted."""

    records: int
    files: int = 0


@runtime_checkable
class RetentionSweep(Protocol):
    """An owner's expiry of one kind of data, under its `name` (shown in the report)."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> RetentionKind: ...

    def expire(self, session: Session, *, settings: Settings, before: datetime, dry_run: bool) -> Expired:
        """Remove the content of this owner's records of `kind` older than `before` (only count when `dry_run`).
        Flushes; the caller commits."""
        ...


@dataclass(frozen=True)
class DeleteOlderRows:
    """The sweep of a log-like table that keeps no skeleton: rows whose `at` column is before the cut-off are
    deleted (no files)."""

    name: str
    kind: RetentionKind
    at: InstrumentedAttribute[datetime]

    def expire(self, session: Session, *, settings: Settings,  # noqa: ARG002 - no files to delete
               before: datetime, dry_run: bool) -> Expired:
        count = session.scalar(select(func.count()).where(self.at < before)) or 0
        if not dry_run and count:
            session.execute(delete(self.at.class_).where(self.at < before),
                            execution_options={"synchronize_session": False})
            session.flush()
        return Expired(records=count)


def remove_unreferenced(root: Path, candidates: set[str], still_referenced: set[str]) -> int:
    """Delete the files `root/candidate` that no remaining record refers to; returns how many were deleted."""
    deleted = 0
    for relative in sorted(candidates - still_referenced):
        path = root / relative
        if path.is_file():
            path.unlink()
            deleted += 1
    return deleted


def in_chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    """`ids` in slices small enough for one statement's parameters on every database."""
    return [ids[start:start + size] for start in range(0, len(ids), size)]
