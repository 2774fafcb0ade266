"""Recording, reading, exporting and verifying the audit log."""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, SessionTransaction

from deskpilot.audit import checkpoints, redaction
from deskpilot.audit.chain import GENESIS, KEYED_MARKER, canonical
from deskpilot.audit.keyring import current_keyring
from deskpilot.audit.models import AuditEvent
from deskpilot.audit.verification import ChainWalk, VerifyResult, is_legacy, keyed_hash
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
    pending = list(session.scalars(select(AuditEvent).where(AuditEvent.seq < 0).order_by(AuditEvent.id)).all())
    if not pending:
        return
    if session.get_bind().dialect.name == "postgresql":
        # Sealing transactions queue here (until their commit) so two never chain onto the same previous row.
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK_KEY})
    key = current_keyring().key
    last = _head(session)
    seq, prev = (last.seq, last.hash) if last else (0, GENESIS)
    if last is not None and is_legacy(last):
        pending = _vouch_for_legacy_rows(session, pending, legacy_rows=last.seq)
    for pending_event in pending:
        seq += 1
        pending_event.seq, pending_event.prev_hash = seq, prev
        pending_event.hash = prev = keyed_hash(pending_event, key)
    session.flush()


def _head(session: Session) -> AuditEvent | None:
    """The newest sealed row, as the database holds it now (another transaction may just have sealed it)."""
    return session.scalars(select(AuditEvent).where(AuditEvent.seq > 0).order_by(AuditEvent.seq.desc())
                           .limit(1).execution_options(populate_existing=True)).first()


def _vouch_for_legacy_rows(session: Session, pending: list[AuditEvent], *, legacy_rows: int) -> list[AuditEvent]:
    """Put the keyed-from marker first: its HMAC covers the head of the unkeyed rows before it."""
    marker = pending[0] if pending[0].action == KEYED_MARKER else None
    if marker is None:
        marker = record(session, actor_id=None, actor_name="system", action=KEYED_MARKER, subject_type="audit",
                        subject_id="chain")
        pending = [marker, *pending]
    marker.after = {"legacy_rows": legacy_rows}
    return pending


def key_legacy_chain(session: Session) -> bool:
    """Record the keyed-from marker now if the newest row was sealed before the chain was keyed."""
    last = _head(session)
    if last is None or not is_legacy(last):
        return False
    record(session, actor_id=None, actor_name="system", action=KEYED_MARKER, subject_type="audit",
           subject_id="chain")
    return True


@sa_event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    # Only the outermost transaction's end drops the mark: a rolled-back savepoint leaves earlier events.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_PROVISIONAL, None)


def verify(session: Session) -> VerifyResult:
    """Recompute the keyed chain in order and hold it against the signed checkpoints outside the database;
    name every row that was edited, removed or reordered, and rows removed from the end."""
    keyring = current_keyring()
    anchors = checkpoints.read(keyring)
    walk = ChainWalk(keyring.key, anchors.valid)
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).yield_per(1000):
        walk.visit(event, keyed=redaction.verifies(event, keyring.key),
                   legacy=walk.may_be_legacy and is_legacy(event))
    return VerifyResult(checked=walk.checked, problems=anchors.problems + walk.finish())


def get_all(session: Session, *, subject_type: str | None = None, subject_id: str | None = None,
            action: str | None = None, since: datetime | None = None, until: datetime | None = None,
            actor_name: str | None = None, offset: int = 0, limit: int = 100) -> tuple[list[AuditEvent], int]:
    """A page of events, newest first, and the total matching."""
    query = select(AuditEvent)
    if actor_name:
        query = query.where(AuditEvent.actor_name == actor_name)
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
