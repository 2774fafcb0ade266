"""Recording, reading, exporting and verifying the audit log."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from deskpilot.audit.chain import GENESIS, canonical, row_hash
from deskpilot.audit.models import AuditEvent
from deskpilot.clock import utcnow

_CHAIN_LOCK_KEY = 7_310_001


def jsonable(value: Any) -> Any:
    """A JSON-safe deep copy (datetimes and enums as strings), as stored in `before`/`after`."""
    return None if value is None else json.loads(canonical(value))


def record(session: Session, *, actor_id: int | None, actor_name: str, action: str, subject_type: str,
           subject_id: str | int, before: Any = None, after: Any = None) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        # Writers queue here so two transactions never chain onto the same previous row.
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK_KEY})
    last = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    at = utcnow()
    before_j, after_j = jsonable(before), jsonable(after)
    event = AuditEvent(
        seq=seq, at=at, actor_id=actor_id, actor_name=actor_name, action=action, subject_type=subject_type,
        subject_id=str(subject_id), before=before_j, after=after_j, prev_hash=prev,
        hash=row_hash(prev_hash=prev, seq=seq, at=at, actor_id=actor_id, actor_name=actor_name, action=action,
                      subject_type=subject_type, subject_id=str(subject_id), before=before_j, after=after_j),
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    row_id: int | None
    problem: str


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    problems: list[ChainProblem]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session) -> VerifyResult:
    """Recompute the chain in order; name every row that was edited, removed or reordered."""
    problems: list[ChainProblem] = []
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000):
        checked += 1
        if event.seq != expected_seq:
            kind = "missing rows before it (removed)" if event.seq > expected_seq else "out of order (reordered)"
            problems.append(ChainProblem(event.seq, event.id, f"sequence {event.seq} where {expected_seq} was "
                                         f"expected: {kind}"))
        if event.prev_hash != prev_hash:
            problems.append(ChainProblem(event.seq, event.id, "does not chain onto the row before it "
                                         "(a row was removed, inserted or reordered)"))
        recomputed = row_hash(prev_hash=event.prev_hash, seq=event.seq, at=event.at, actor_id=event.actor_id,
                              actor_name=event.actor_name, action=event.action, subject_type=event.subject_type,
                              subject_id=event.subject_id, before=event.before, after=event.after)
        if recomputed != event.hash:
            problems.append(ChainProblem(event.seq, event.id, "content was edited (hash mismatch)"))
        prev_hash, expected_seq = event.hash, event.seq + 1
    return VerifyResult(checked=checked, problems=problems)


def get_all(session: Session, *, subject_type: str | None = None, subject_id: str | None = None,
            action: str | None = None, since: datetime | None = None, until: datetime | None = None,
            offset: int = 0, limit: int = 100) -> tuple[list[AuditEvent], int]:
    """A page of events, newest first, and the total matching."""
    query = select(AuditEvent)
    if subject_type:
        query = query.where(AuditEvent.subject_type == subject_type)
    if subject_id:
        query = query.where(AuditEvent.subject_id == subject_id)
    if action:
        query = query.where(AuditEvent.action == action)
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AuditEvent.seq.desc()).offset(offset).limit(limit)).all()
    return list(rows), total


EXPORT_FIELDS = ("seq", "at", "actor_id", "actor_name", "action", "subject_type", "subject_id", "before",
                 "after", "prev_hash", "hash")


def export_rows(session: Session) -> Iterator[dict[str, Any]]:
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).yield_per(1000):
        yield {f: (getattr(event, f).isoformat() if f == "at" else getattr(event, f)) for f in EXPORT_FIELDS}


def export_csv(session: Session) -> Iterator[str]:
    """The whole log as CSV lines (JSON for before/after), oldest first, for auditors."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for row in export_rows(session):
        writer.writerow({k: (canonical(v) if k in ("before", "after") else v) for k, v in row.items()})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
