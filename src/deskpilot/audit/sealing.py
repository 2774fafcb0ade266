"""Recording audit events and sealing them into a chain when their transaction commits."""

from __future__ import annotations

import json
import secrets
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session, SessionTransaction

from deskpilot.audit import lanes
from deskpilot.audit.chain import GENESIS, KEYED_MARKER, canonical
from deskpilot.audit.keyring import current_keyring
from deskpilot.audit.models import AuditEvent
from deskpilot.audit.verification import is_legacy, keyed_hash
from deskpilot.clock import utcnow

_PENDING = "audit_events_pending"
_PROVISIONAL = "audit_provisional_seq"
_HELD = "audit_chain_held"
_BLOCK_BITS = 20  # events one transaction may record before its provisional seqs could meet another's
LEGACY_CHAIN = 0  # the chain every row sealed before there were several belongs to


def jsonable(value: Any) -> Any:
    """A JSON-safe deep copy (datetimes and enums as strings), as stored in `before`/`after`."""
    return None if value is None else json.loads(canonical(value))


def record(session: Session, *, actor_id: int | None, actor_name: str, action: str, subject_type: str,
           subject_id: str | int, before: Any = None, after: Any = None) -> AuditEvent:
    """Add one event inside the caller's transaction; it joins a chain when the transaction commits.

    The row is written now (so a rolled-back savepoint takes it away, like every other write) with a
    provisional negative `seq` in chain 0; `seal` gives it its chain and place just before the commit. A
    chain lock is therefore held only for the commit itself, not for the rest of the request.
    """
    event = AuditEvent(
        chain=LEGACY_CHAIN, seq=_provisional_seq(session), at=utcnow(), actor_id=actor_id, actor_name=actor_name,
        action=action, subject_type=subject_type, subject_id=str(subject_id), before=jsonable(before),
        after=jsonable(after), prev_hash="", hash="")
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
def _seal_at_commit(session: Session) -> None:
    if session.info.pop(_PENDING, False):
        seal(session)


def seal(session: Session, *, chain: int | None = None) -> int | None:
    """Chain this transaction's unsealed events, in the order they were recorded, after the last sealed row
    of `chain` (by default the chain this transaction holds, else the lowest one no other transaction is
    sealing into); the chain, or None when there was nothing to seal. It stays locked until the transaction
    ends."""
    session.flush()
    pending = list(session.scalars(select(AuditEvent).where(AuditEvent.chain == LEGACY_CHAIN, AuditEvent.seq < 0)
                                   .order_by(AuditEvent.id)).all())
    if not pending:
        return None
    chain = _lock_chain(session, chain)
    key = current_keyring().key
    last = _head(session, chain)
    seq, prev = (last.seq, last.hash) if last else (0, GENESIS)
    if last is not None and chain == LEGACY_CHAIN and is_legacy(last):
        pending = _vouch_for_legacy_rows(session, pending, legacy_rows=last.seq)
    for pending_event in pending:
        seq += 1
        pending_event.chain, pending_event.seq, pending_event.prev_hash = chain, seq, prev
        pending_event.hash = prev = keyed_hash(pending_event, key)
    session.flush()
    return chain


def _lock_chain(session: Session, chain: int | None) -> int:
    """Lock `chain` (by default the one this transaction already holds, else a free one) until the transaction
    ends; a transaction that is not told a chain thus holds one, and never waits for one while holding another."""
    held = session.info.get(_HELD)
    if chain is None and held is not None:
        return int(held)
    if chain is None:
        chain = lanes.claim(session)
    elif chain != held:
        lanes.hold(session, chain)
    session.info[_HELD] = chain
    return chain


def _head(session: Session, chain: int) -> AuditEvent | None:
    """The newest sealed row of `chain`, as the database holds it now (another transaction may just have
    sealed it)."""
    return session.scalars(select(AuditEvent).where(AuditEvent.chain == chain, AuditEvent.seq > 0)
                           .order_by(AuditEvent.seq.desc()).limit(1)
                           .execution_options(populate_existing=True)).first()


def _vouch_for_legacy_rows(session: Session, pending: list[AuditEvent], *, legacy_rows: int) -> list[AuditEvent]:
    """Put the keyed-from marker first: its HMAC covers the head of the unkeyed rows before it."""
    marker = next((e for e in pending if e.action == KEYED_MARKER), None)
    if marker is None:
        marker = record(session, actor_id=None, actor_name="system", action=KEYED_MARKER, subject_type="audit",
                        subject_id="chain")
    marker.after = {"legacy_rows": legacy_rows}
    return [marker, *(e for e in pending if e is not marker)]


def key_legacy_chain(session: Session) -> bool:
    """Seal the keyed-from marker into chain 0 now if its newest row was sealed before the chain was keyed."""
    _lock_chain(session, LEGACY_CHAIN)
    last = _head(session, LEGACY_CHAIN)
    if last is None or not is_legacy(last):
        return False
    record(session, actor_id=None, actor_name="system", action=KEYED_MARKER, subject_type="audit",
           subject_id="chain")
    seal(session, chain=LEGACY_CHAIN)
    return True


@sa_event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    # Only the outermost transaction's end drops the mark: a rolled-back savepoint leaves earlier events.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_PROVISIONAL, None)
        session.info.pop(_HELD, None)
