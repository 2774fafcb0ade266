"""Recording, reading, exporting and verifying the audit log."""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, SessionTransaction

from deskpilot.audit.chain import GENESIS, canonical, row_hash
from deskpilot.audit.models import AuditEvent
from deskpilot.clock import utcnow
from deskpilot.safe_csv import SafeCsvWriter

_CHAIN_LOCK_KEY = 7_310_001
_PENDING = "audit_events_pending"
_PROVISIONAL = "audit_provisional_seq"
_BLOCK_BITS = 20  # events one transaction may record before its provisional seqs could meet another's


def jsonable(value: Any) -> Any:
    """A JSON-safe deep copy (datetimes and enums as strings), as stored in `before`/`after`."""
    return None if value is None else json.loads(canonical(value))


def record(session: Session, *, actor_id: int | None, actor_name: str, action: str, subject_type: str,
           subject_id: str | int, before: Any = None, after: Any = None) -> AuditEvent:
    """Add one event inside the caller's transaction; it joins the chain when the transaction commits.

    The row is written now (so a rolled-back savepoint takes it away, like every other write) with a
    provisional negative `seq`; `_seal` gives it its place in the chain just before the commit. The chain
    lock is therefore held only for the commit itself, not for the rest of the request: with the lock taken
    here, every ticket write on PostgreSQL queued behind the slowest transaction that had audited anything.
    """
    at = utcnow()
    event = AuditEvent(
        seq=_provisional_seq(session), at=at, actor_id=actor_id, actor_name=actor_name, action=action,
        subject_type=subject_type, subject_id=str(subject_id), before=jsonable(before), after=jsonable(after),
        prev_hash="", hash="")
    session.add(event)
    session.flush()
    session.info[_PENDING] = True
    return event


def _provisional_seq(session: Session) -> int:
    """A negative placeholder, unique across concurrent transactions, increasing within this one."""
    base, count = session.info.get(_PROVISIONAL, (secrets.randbelow(2**41) << _BLOCK_BITS, 0))
    session.info[_PROVISIONAL] = (base, count + 1)
    return int(-(2**62) + base + count)


@sa_event.listens_for(Session, "before_commit")
def _seal(session: Session) -> None:
    """Chain this transaction's new events after the last sealed one, in the order they were recorded."""
    if not session.info.pop(_PENDING, False):
        return
    session.flush()
    pending = session.scalars(select(AuditEvent).where(AuditEvent.seq < 0).order_by(AuditEvent.id)).all()
    if not pending:
        return
    if session.get_bind().dialect.name == "postgresql":
        # Sealing transactions queue here (until their commit) so two never chain onto the same previous row.
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK_KEY})
    last = session.execute(select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.seq > 0)
                           .order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq, prev = (last[0], last[1]) if last else (0, GENESIS)
    for pending_event in pending:
        seq += 1
        pending_event.seq, pending_event.prev_hash = seq, prev
        pending_event.hash = prev = row_hash(
            prev_hash=prev, seq=seq, at=pending_event.at, actor_id=pending_event.actor_id,
            actor_name=pending_event.actor_name, action=pending_event.action,
            subject_type=pending_event.subject_type, subject_id=pending_event.subject_id,
            before=pending_event.before, after=pending_event.after)
    session.flush()


@sa_event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    # Only the outermost transaction's end drops the mark: a rolled-back savepoint leaves earlier events.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_PROVISIONAL, None)


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
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).yield_per(1000):
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
    """The whole log as spreadsheet-safe CSV lines (JSON for before/after), oldest first, for auditors."""
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer)
    writer.writerow(EXPORT_FIELDS)
    for row in export_rows(session):
        writer.writerow([canonical(v) if k in ("before", "after") else v for k, v in row.items()])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
