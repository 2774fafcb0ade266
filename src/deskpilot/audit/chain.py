"""The hash of an audit row: HMAC-SHA256, keyed with a key kept outside the database, over the previous
hash and a canonical JSON of the row's content.

Rows sealed before the chain was keyed (migration 0013) carry a plain SHA-256 of the same input; they stay
valid only in front of the `audit.chain_keyed` marker, the first keyed row, whose HMAC covers their head.

The log is several chains (migration 0039, `audit/lanes.py`); a row's chain number is part of what its hash
covers, except for chain 0, whose rows were sealed before there were several and must keep verifying.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

GENESIS = "0" * 64
KEYED_MARKER = "audit.chain_keyed"


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def with_chain(fields: dict[str, Any], chain: int) -> dict[str, Any]:
    """`fields` plus the chain number, which chain 0 leaves out: its older rows were hashed without it."""
    return {**fields, "chain": chain} if chain else fields


def _content(prev_hash: str, chain: int, seq: int, at: datetime, actor_id: int | None, actor_name: str,
             action: str, subject_type: str, subject_id: str, before: Any, after: Any) -> bytes:
    content = canonical(with_chain({
        "seq": seq, "at": at.isoformat(timespec="microseconds"), "actor_id": actor_id, "actor": actor_name,
        "action": action, "subject": [subject_type, subject_id], "before": before, "after": after,
    }, chain))
    return (prev_hash + content).encode("utf-8")


def row_hash(*, key: bytes, prev_hash: str, seq: int, at: datetime, actor_id: int | None, actor_name: str,
             action: str, subject_type: str, subject_id: str, before: Any, after: Any, chain: int = 0) -> str:
    """The keyed, chained hash; any change to a field (the chain number too), or to the row before it,
    changes it, and nobody without the key can compute it for a changed row."""
    content = _content(prev_hash, chain, seq, at, actor_id, actor_name, action, subject_type, subject_id, before,
                       after)
    return hmac.new(key, content, hashlib.sha256).hexdigest()


def legacy_row_hash(*, prev_hash: str, seq: int, at: datetime, actor_id: int | None, actor_name: str,
                    action: str, subject_type: str, subject_id: str, before: Any, after: Any) -> str:
    """The unkeyed hash of rows sealed before the chain was keyed; anyone can recompute it."""
    content = _content(prev_hash, 0, seq, at, actor_id, actor_name, action, subject_type, subject_id, before, after)
    return hashlib.sha256(content).hexdigest()


def sign(key: bytes, fields: dict[str, Any]) -> str:
    """The HMAC of a canonical JSON of `fields` (checkpoints)."""
    return hmac.new(key, canonical(fields).encode("utf-8"), hashlib.sha256).hexdigest()


def key_id(key: bytes) -> str:
    """A short public fingerprint of the key, to tell which key signed a checkpoint or a backup."""
    return hashlib.sha256(b"deskpilot-audit-key-id:" + key).hexdigest()[:16]
