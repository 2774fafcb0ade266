"""The time source. Production reads the system clock; tests install a controllable one."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

_source: ContextVar[Callable[[], datetime] | None] = ContextVar("deskpilot_clock", default=None)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    source = _source.get()
    return source() if source is not None else datetime.now(UTC)


def set_clock(source: Callable[[], datetime] | None) -> None:
    """Install a clock (a callable returning aware datetimes); `None` restores the system clock."""
    _source.set(source)
