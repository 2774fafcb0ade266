"""What a KPI question is about: a period of ticket creation, optionally one queue and one channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, true

from deskpilot.errors import InvalidInput
from deskpilot.tickets.enums import Channel, TicketStatus
from deskpilot.tickets.models import Ticket

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class KpiFilter:
    """Tickets created in [start, end), in `queue_id` and on `channel` when given; `now` closes open clocks."""

    start: datetime
    end: datetime
    now: datetime
    queue_id: int | None = None
    channel: Channel | None = None

    @classmethod
    def of(cls, *, now: datetime, first_day: date | None = None, last_day: date | None = None,
           queue_id: int | None = None, channel: Channel | None = None) -> KpiFilter:
        """The filter for whole UTC days `first_day`..`last_day` (inclusive); the last 30 days by default."""
        last = last_day or now.astimezone(UTC).date()
        first = first_day or last - timedelta(days=DEFAULT_DAYS - 1)
        if first > last:
            raise InvalidInput(f"The period starts ({first}) after it ends ({last}); swap the dates.")
        if (last - first).days >= MAX_DAYS:
            raise InvalidInput(f"Choose a period of at most {MAX_DAYS} days (asked for {(last - first).days + 1}).")
        start = datetime.combine(first, time.min, tzinfo=UTC)
        end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
        return cls(start=start, end=end, now=now, queue_id=queue_id, channel=channel)

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def grain(self) -> str:
        """Trends by day up to two months, by week beyond."""
        return "day" if self.days <= 62 else "week"

    def scope(self) -> ColumnElement[bool]:
        """Queue and channel only (no period): for snapshots such as the backlog."""
        parts: list[ColumnElement[bool]] = [Ticket.status != TicketStatus.MERGED]
        if self.queue_id is not None:
            parts.append(Ticket.queue_id == self.queue_id)
        if self.channel is not None:
            parts.append(Ticket.channel == self.channel)
        return and_(true(), *parts)

    def created_in_period(self) -> ColumnElement[bool]:
        return and_(self.scope(), Ticket.created_at >= self.start, Ticket.created_at < self.end)

    def describe(self) -> dict[str, Any]:
        return {"from": self.first_day.isoformat(), "to": self.last_day.isoformat(), "queue_id": self.queue_id,
                "channel": self.channel.value if self.channel else None}
