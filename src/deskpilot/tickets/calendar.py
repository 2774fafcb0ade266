"""Business calendars: when a service desk is open, in its own time zone.

A calendar is plain data (time zone, weekly opening intervals in local wall time, holidays) so it can be
stored as YAML/JSON and handed to the pure SLA arithmetic in `deskpilot.tickets.sla_clock`.
"""

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from deskpilot.errors import InvalidInput

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

OpeningInterval = tuple[time, time]
"""Local wall-clock `(opens, closes)`; `closes == time(0)` means midnight at the end of the day (24:00)."""

_DAY = timedelta(days=1)
_MIDNIGHT = time(0)
_INTERVAL = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")
_FIELDS = ("timezone", "hours", "holidays")


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekly opening hours (weekday 0 = Monday) in the local time of `timezone`, minus `holidays`.

    Validated on construction; `hours` is normalised to sorted, read-only intervals without empty days.
    """

    timezone: str
    hours: Mapping[int, Sequence[OpeningInterval]] = field(hash=False)
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        _zone(self.timezone)
        checked = {weekday: _check_day(weekday, self.hours[weekday]) for weekday in self.hours}
        normalised = {weekday: checked[weekday] for weekday in sorted(checked) if checked[weekday]}
        if not normalised:
            raise InvalidInput("The calendar has no opening hours; an SLA clock on it would never run.")
        object.__setattr__(self, "hours", MappingProxyType(normalised))
        object.__setattr__(self, "holidays", frozenset(self.holidays))

    @classmethod
    def always_open(cls, timezone: str = "UTC") -> "BusinessCalendar":
        """A 24x7 calendar: every day from 00:00 to 24:00, no holidays."""
        return cls(timezone=timezone, hours={weekday: [(_MIDNIGHT, _MIDNIGHT)] for weekday in range(7)})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "BusinessCalendar":
        """Build a calendar from its stored form, raising `InvalidInput` that says what to fix.

        Example: ``{"timezone": "Europe/Berlin", "hours": {"mon": ["08:00-18:00"]},
        "holidays": ["2026-12-25"]}``; end an interval at midnight with ``24:00``.
        """
        unknown = sorted(str(key) for key in data if key not in _FIELDS)
        if unknown:
            raise InvalidInput(
                f"Unknown calendar field(s): {', '.join(unknown)}; expected timezone, hours and holidays."
            )
        timezone = data.get("timezone")
        if not isinstance(timezone, str):
            raise InvalidInput("A calendar needs a 'timezone' such as 'Europe/Berlin'.")
        hours = data.get("hours")
        if not isinstance(hours, Mapping):
            raise InvalidInput(
                "A calendar needs 'hours': a mapping of weekday (mon..sun) to intervals like ['08:00-18:00']."
            )
        return cls(
            timezone=timezone, hours=_parse_hours(hours), holidays=_parse_holidays(data.get("holidays", []))
        )

    def to_dict(self) -> dict[str, Any]:
        """The stored form read by `from_dict`: weekday names, ``HH:MM-HH:MM`` strings, ISO dates."""
        return {
            "timezone": self.timezone,
            "hours": {
                WEEKDAYS[weekday]: [_format_interval(interval) for interval in intervals]
                for weekday, intervals in self.hours.items()
            },
            "holidays": sorted(holiday.isoformat() for holiday in self.holidays),
        }

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def week_length(self) -> timedelta:
        """Opening time of a week by the wall clock (no holidays, no DST change)."""
        return sum(
            (_until(closes) - _since_midnight(opens) for day in self.hours.values() for opens, closes in day),
            timedelta(0),
        )

    def openings(self, day: date) -> list[tuple[datetime, datetime]]:
        """The openings of local date `day` as UTC instants, in order; none on a holiday.

        Opening hours are wall-clock times, so a DST change inside an interval lengthens or shortens it.
        An interval opens (closes) the first time the clock reads its start (end); a time skipped by the
        spring jump stands for the instant of the jump.
        """
        if day in self.holidays:
            return []
        zone = self.zone
        instants = []
        for opens, closes in self.hours.get(day.weekday(), ()):
            start = _instant(datetime.combine(day, opens), zone)
            end = _instant(datetime.combine(day + _DAY if closes == _MIDNIGHT else day, closes), zone)
            if end > start:
                instants.append((start, end))
        return instants


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"Unknown timezone {name!r}; use an IANA name such as 'Europe/Berlin'.") from exc


def _since_midnight(moment: time) -> timedelta:
    return timedelta(hours=moment.hour, minutes=moment.minute)


def _until(closes: time) -> timedelta:
    return _DAY if closes == _MIDNIGHT else _since_midnight(closes)


def _format_interval(interval: OpeningInterval) -> str:
    opens, closes = interval
    end = "24:00" if closes == _MIDNIGHT else closes.strftime("%H:%M")
    return f"{opens.strftime('%H:%M')}-{end}"


def _check_day(weekday: int, intervals: Sequence[OpeningInterval]) -> tuple[OpeningInterval, ...]:
    if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise InvalidInput(f"Unknown weekday {weekday!r} in hours; weekdays are 0 (Monday) to 6 (Sunday).")
    name = WEEKDAYS[weekday]
    ordered = tuple(sorted(intervals, key=lambda interval: interval[0]))
    for opens, closes in ordered:
        text = _format_interval((opens, closes))
        if opens.tzinfo is not None or closes.tzinfo is not None:
            raise InvalidInput(f"Opening interval {text} on {name} must be local wall time, without tzinfo.")
        if any(moment.second or moment.microsecond for moment in (opens, closes)):
            raise InvalidInput(f"Opening interval {text} on {name} must start and end on whole minutes.")
        if _until(closes) <= _since_midnight(opens):
            raise InvalidInput(
                f"Opening interval {text} on {name} must end after it starts; hours that span midnight are "
                "not supported, split them at 24:00 (e.g. '22:00-24:00' and '00:00-06:00' the next day)."
            )
    for first, second in pairwise(ordered):
        if _since_midnight(second[0]) < _until(first[1]):
            earlier, later = _format_interval(first), _format_interval(second)
            raise InvalidInput(f"Opening intervals {earlier} and {later} on {name} overlap.")
    return ordered


def _parse_hours(raw: Mapping[Any, Any]) -> dict[int, list[OpeningInterval]]:
    parsed: dict[int, list[OpeningInterval]] = {}
    for key, intervals in raw.items():
        name = str(key).strip().lower()
        if name not in WEEKDAYS:
            raise InvalidInput(f"Unknown weekday {key!r} in hours; use mon, tue, wed, thu, fri, sat or sun.")
        weekday = WEEKDAYS.index(name)
        if weekday in parsed:
            raise InvalidInput(f"Weekday {name} is listed twice in hours.")
        if isinstance(intervals, str) or not isinstance(intervals, Sequence):
            raise InvalidInput(f"Hours for {name} must be a list of intervals like ['08:00-18:00'].")
        parsed[weekday] = [_parse_interval(name, text) for text in intervals]
    return parsed


def _parse_interval(day: str, text: object) -> OpeningInterval:
    match = _INTERVAL.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise InvalidInput(
            f"Bad opening interval {text!r} on {day}; write it as HH:MM-HH:MM, e.g. '08:00-18:00'."
        )
    open_hour, open_minute, close_hour, close_minute = (int(part) for part in match.groups())
    if (close_hour, close_minute) == (0, 0):
        raise InvalidInput(
            f"Opening interval {text!r} on {day} ends at 00:00; write midnight at the end of a day as 24:00."
        )
    if (close_hour, close_minute) == (24, 0):
        close_hour = 0
    if max(open_hour, close_hour) > 23 or max(open_minute, close_minute) > 59:
        raise InvalidInput(
            f"Bad opening interval {text!r} on {day}; hours run 00-23 (or 24:00), minutes 00-59."
        )
    return time(open_hour, open_minute), time(close_hour, close_minute)


def _parse_holidays(raw: object) -> frozenset[date]:
    if isinstance(raw, str) or not isinstance(raw, Sequence | frozenset | set):
        raise InvalidInput("'holidays' must be a list of dates like ['2026-12-25'].")
    return frozenset(_parse_holiday(item) for item in raw)


def _parse_holiday(item: object) -> date:
    # YAML loads unquoted 2026-12-25 as a date already; a datetime is a date subclass but not a day.
    if isinstance(item, date) and not isinstance(item, datetime):
        return item
    if isinstance(item, str):
        try:
            return date.fromisoformat(item.strip())
        except ValueError:
            pass
    raise InvalidInput(f"Bad holiday {item!r}; write dates as YYYY-MM-DD, e.g. '2026-12-25'.")


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a naive local wall time; an ambiguous one (autumn) means its first occurrence."""
    instant = wall.replace(tzinfo=zone).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant
    return _end_of_gap(wall, zone)


def _end_of_gap(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant the clocks jumped over the nonexistent `wall` time.

    zoneinfo does not expose its transitions; the jump lies between the two readings of `wall`
    (fold=1 before it, fold=0 after it) and tz transitions fall on whole seconds, so bisect on seconds.
    """
    before = math.floor(wall.replace(tzinfo=zone, fold=1).timestamp())
    after = math.ceil(wall.replace(tzinfo=zone, fold=0).timestamp())
    offset_after = datetime.fromtimestamp(after, zone).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)
