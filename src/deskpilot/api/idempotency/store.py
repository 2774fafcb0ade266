"""Claiming an Idempotency-Key, keeping the first response, and letting a failed first attempt go.

Each function is its own short unit of work, apart from the request it guards: the claim commits before the
request runs, so a concurrent duplicate finds it (the unique key decides between simultaneous claims).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from deskpilot.api.idempotency.models import IdempotencyRecord
from deskpilot.clock import utcnow

# How long a finished key replays its response.
KEY_LIFETIME = timedelta(hours=24)
# A claim whose request never finished (the process stopped) frees the key after this long.
RUNNING_LIFETIME = timedelta(minutes=10)


class ClaimOutcome(StrEnum):
    FIRST = "first"          # this request runs; its response is kept
    REPLAY = "replay"        # the same request already finished: answer its response
    MISMATCH = "mismatch"    # the key was used for a different request
    RUNNING = "running"      # the same request is still running elsewhere


@dataclass(frozen=True)
class Claim:
    outcome: ClaimOutcome
    record_id: int
    status_code: int = 0
    headers: list[list[str]] = field(default_factory=list)
    body: bytes = b""


def _find(session: Session, user_id: int, key: str) -> IdempotencyRecord | None:
    return session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id,
                                                          IdempotencyRecord.key == key))


def claim(session: Session, *, user_id: int, key: str, request_hash: str) -> Claim:
    """Claim `key` for `user_id`'s request (`request_hash`), or say what the earlier use of the key was."""
    now = utcnow()
    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.expires_at < now))
    found = _find(session, user_id, key)
    if found is None:
        record = IdempotencyRecord(user_id=user_id, key=key, request_hash=request_hash, created_at=now,
                                   expires_at=now + RUNNING_LIFETIME)
        try:
            with session.begin_nested():
                session.add(record)
            return Claim(ClaimOutcome.FIRST, record.id)
        except IntegrityError:
            found = _find(session, user_id, key)
            if found is None:
                return Claim(ClaimOutcome.RUNNING, 0)
    if found.request_hash != request_hash:
        return Claim(ClaimOutcome.MISMATCH, found.id)
    if found.status_code is None:
        return Claim(ClaimOutcome.RUNNING, found.id)
    return Claim(ClaimOutcome.REPLAY, found.id, found.status_code, found.response_headers or [],
                 found.response_body or b"")


def finish(session: Session, *, record_id: int, status_code: int, headers: list[list[str]], body: bytes) -> None:
    """Keep the first request's response to replay for `KEY_LIFETIME`."""
    record = session.get(IdempotencyRecord, record_id)
    if record is None:
        return
    record.status_code, record.response_headers, record.response_body = status_code, headers, body
    record.expires_at = utcnow() + KEY_LIFETIME
    session.flush()


def release(session: Session, *, record_id: int) -> None:
    """The first request failed and changed nothing: a retry with the key runs again."""
    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
