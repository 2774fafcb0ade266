"""Redacting an audit row's payload without breaking the chain (the right to erasure).

A redacted row keeps its chain, its place, its `prev_hash` and its original `hash`, so the rows after it still
chain onto it; its `before` is emptied, its `after` becomes a redaction record: keyed digests of the original payloads
(whoever holds the audit key can confirm a claimed original, nobody can read it back) and a seal, the HMAC
of the redacted row together with the original hash. `audit verify` accepts a row whose keyed hash matches
or whose seal does; editing a redacted row breaks its seal like any other row. Only a row that verifies is
redacted, so redaction cannot launder a row that was tampered with before.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from deskpilot.audit.chain import canonical, sign, with_chain
from deskpilot.audit.models import AuditEvent
from deskpilot.audit.verification import keyed_hash
from deskpilot.clock import utcnow

REDACTED = "redacted"


def _sealed_fields(event: AuditEvent, record: dict[str, Any]) -> dict[str, Any]:
    return with_chain({
        "redaction_of": event.hash, "prev_hash": event.prev_hash, "seq": event.seq,
        "at": event.at.isoformat(timespec="microseconds"), "actor_id": event.actor_id, "actor": event.actor_name,
        "action": event.action, "subject": [event.subject_type, event.subject_id], "before": event.before,
        "record": {name: value for name, value in record.items() if name != "seal"}}, event.chain)


def redaction_record(event: AuditEvent) -> dict[str, Any] | None:
    """The redaction record of a redacted row, or None for a row as it was sealed."""
    value = (event.after or {}).get(REDACTED) if isinstance(event.after, dict) else None
    return value if isinstance(value, dict) and event.before is None and len(event.after or {}) == 1 else None


def is_sealed(event: AuditEvent, key: bytes) -> bool:
    """Whether `event` is a redacted row whose seal (made with `key`) still matches it."""
    record = redaction_record(event)
    return record is not None and record.get("seal") == sign(key, _sealed_fields(event, record))


def verifies(event: AuditEvent, key: bytes) -> bool:
    """Whether the row is intact: its keyed hash matches, or it was redacted and its seal matches."""
    return keyed_hash(event, key) == event.hash or is_sealed(event, key)


def redact(event: AuditEvent, *, key: bytes, reason: str, actor_name: str | None = None) -> bool:
    """Replace the row's payloads (and, given, its actor's name) by a sealed redaction record; False when the
    row was already redacted or does not verify (then it is left for `audit verify` to report)."""
    if redaction_record(event) is not None or keyed_hash(event, key) != event.hash:
        return False
    record: dict[str, Any] = {
        "at": utcnow().isoformat(), "reason": reason,
        "before_digest": sign(key, {"before": canonical(event.before)}),
        "after_digest": sign(key, {"after": canonical(event.after)}),
        "actor_digest": sign(key, {"actor": event.actor_name}) if actor_name is not None else None}
    event.before = None
    if actor_name is not None:
        event.actor_name = actor_name
    record["seal"] = sign(key, _sealed_fields(event, record))
    event.after = {REDACTED: record}
    return True


def allow_redaction(session: Session) -> None:
    """Let this transaction rewrite sealed rows: PostgreSQL refuses it otherwise (migration 0013, which names
    erasure as the one maintenance allowed to); SQLite has no such guard."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL deskpilot.audit_maintenance = 'on'"))
