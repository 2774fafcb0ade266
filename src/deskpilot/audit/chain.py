"""The hash of an audit row: sha256 over the previous hash and a canonical JSON of the row's content."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def row_hash(*, prev_hash: str, seq: int, at: datetime, actor_id: int | None, actor_name: str, action: str,
             subject_type: str, subject_id: str, before: Any, after: Any) -> str:
    """The chained hash; any change to a field, or to the row before it, changes it."""
    content = canonical({
        "seq": seq, "at": at.isoformat(timespec="microseconds"), "actor_id": actor_id, "actor": actor_name,
        "action": action, "subject": [subject_type, subject_id], "before": before, "after": after,
    })
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()
