"""Values as the vendors' JSON carries them, read the same way by every connector's mapping."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def iso_time(value: str) -> datetime:
    """An ISO 8601 timestamp with a `Z` or an offset (Zendesk, Freshservice)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def optional_id(value: Any) -> str | None:
    """A vendor id as text; None when the field is missing or empty."""
    return None if value in (None, "") else str(value)
