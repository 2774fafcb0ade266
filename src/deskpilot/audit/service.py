"""Recording, reading, exporting and verifying the audit log."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.audit import checkpoints, redaction
from deskpilot.audit.chain import canonical
from deskpilot.audit.keyring import current_keyring
from deskpilot.audit.models import AuditEvent
from deskpilot.audit.sealing import jsonable, key_legacy_chain, record, seal
from deskpilot.audit.verification import ChainWalk, VerifyResult, is_legacy
from deskpilot.safe_csv import SafeCsvWriter

__all__ = ["EXPORT_FIELDS", "export_csv", "export_rows", "get_all", "jsonable", "key_legacy_chain", "record",
           "seal", "verify"]


def verify(session: Session) -> VerifyResult:
    """Recompute every chain in order and hold each against the signed checkpoints outside the database;
    name every row that was edited, removed or reordered, and rows removed from the end of a chain."""
    keyring = current_keyring()
    log = checkpoints.read(keyring)
    anchors = log.anchors()
    walks: dict[int, ChainWalk] = {}
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.chain, AuditEvent.seq)).yield_per(1000):
        walk = walks.get(event.chain)
        if walk is None:
            walk = walks[event.chain] = ChainWalk(keyring.key, anchors.get(event.chain, []), chain=event.chain)
        walk.visit(event, keyed=redaction.verifies(event, keyring.key),
                   legacy=walk.may_be_legacy and is_legacy(event))
    for chain, chain_anchors in anchors.items():
        walks.setdefault(chain, ChainWalk(keyring.key, chain_anchors, chain=chain))
    several = any(chain != 0 for chain in walks)
    problems = list(log.problems)
    for chain, walk in sorted(walks.items()):
        walk.label = f"chain {chain}" if several else "the table"
        problems += walk.finish()
    return VerifyResult(checked=sum(walk.checked for walk in walks.values()), problems=problems)


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
    # Newest first by the time each event was recorded: `seq` orders one chain, not the log.
    rows = session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).offset(offset)
                           .limit(limit)).all()
    return list(rows), total


EXPORT_FIELDS = ("seq", "at", "actor_id", "actor_name", "action", "subject_type", "subject_id", "before",
                 "after", "prev_hash", "hash", "chain")


def export_rows(session: Session) -> Iterator[dict[str, Any]]:
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.chain, AuditEvent.seq)).yield_per(1000):
        yield {f: (getattr(event, f).isoformat() if f == "at" else getattr(event, f)) for f in EXPORT_FIELDS}


def export_csv(session: Session) -> Iterator[str]:
    """The whole log as spreadsheet-safe CSV lines (JSON for before/after), chain by chain, oldest first, for
    auditors."""
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer)
    writer.writerow(EXPORT_FIELDS)
    for row in export_rows(session):
        writer.writerow([canonical(v) if k in ("before", "after") else v for k, v in row.items()])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
