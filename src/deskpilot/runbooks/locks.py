"""Per-target locks: a unique row per target, held for the length of a run's transaction.

On PostgreSQL a second transaction inserting the same target waits for the first to finish and then
proceeds (the row is gone) or fails; on SQLite the database's single writer serialises runs anyway.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from deskpilot.clock import utcnow
from deskpilot.errors import Conflict
from deskpilot.runbooks.models import RunbookTargetLock


def acquire(session: Session, *, target: str, run_id: int) -> None:
    """Take the lock on `target` or raise Conflict when a run holds it."""
    try:
        with session.begin_nested():
            session.add(RunbookTargetLock(target=target, run_id=run_id, acquired_at=utcnow()))
    except IntegrityError as exc:
        raise Conflict(f"Another runbook run is changing {target} right now; try again when it has finished.") from exc


def release(session: Session, *, target: str) -> None:
    session.execute(delete(RunbookTargetLock).where(RunbookTargetLock.target == target))
    session.flush()
