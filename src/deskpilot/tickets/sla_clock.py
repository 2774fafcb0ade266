"""Pure SLA arithmetic: business time on a `BusinessCalendar`, and the state of an SLA clock.

Business time is real elapsed time inside opening hours, so a 24x7 day across a DST change lasts 23 or
25 hours. Nothing here reads the clock: callers pass `now`, which keeps every result reproducible.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise

from deskpilot.errors import InvalidInput
from deskpilot.tickets.calendar import BusinessCalendar

Pause = tuple[datetime, datetime | None]
"""`(paused_at, resumed_at)`; `resumed_at` is None while the pause lasts (e.g. waiting on the customer)."""

_ZERO = timedelta(0)
_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)


class SlaState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    NEAR_BREACH = "near_breach"
    MET = "met"
    BREACHED = "breached"


@dataclass(frozen=True)
class SlaStatus:
    """An SLA clock as of `now`.

    `remaining_minutes` is negative once overdue. `due_at` is None while an open pause stops the clock
    before the target was reached (the due time depends on when it resumes). `breached_at` is the due
    time when the target was missed, also when it was met late (then `met_at` is set too).
    """

    state: SlaState
    target_minutes: float
    elapsed_minutes: float
    remaining_minutes: float
    due_at: datetime | None
    met_at: datetime | None
    breached_at: datetime | None


def add_business_minutes(calendar: BusinessCalendar, start: datetime, minutes: float) -> datetime:
    """The earliest instant at which `minutes` business minutes have passed since `start`.

    `start` may fall outside opening hours; zero minutes returns `start` itself. The result is in the
    calendar's time zone.
    """
    _require_aware(start, "start")
    if not math.isfinite(minutes) or minutes < 0:
        raise InvalidInput(f"Business minutes must be a finite number of at least 0, not {minutes!r}.")
    try:
        return _add_business_time(calendar, start, timedelta(minutes=minutes)).astimezone(calendar.zone)
    except OverflowError as exc:
        raise InvalidInput(f"{minutes!r} business minutes from {start.isoformat()} end past 9999.") from exc


def business_minutes_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> float:
    """Business minutes from `start` to `end` on `calendar`; negative when `end` precedes `start`."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    return _minutes(_business_time(calendar, start, end))


def evaluate_sla(
    *,
    calendar: BusinessCalendar,
    target_minutes: float,
    started_at: datetime,
    now: datetime,
    pauses: Sequence[Pause] = (),
    met_at: datetime | None = None,
    near_breach_fraction: float = 0.8,
) -> SlaStatus:
    """The state of an SLA clock (first response or resolution) as of `now`.

    The clock counts business minutes from `started_at`, except during `pauses`, until `met_at`.
    Events after `now` have not happened yet, so evaluating a past `now` replays history. The state is
    near-breach once `near_breach_fraction` of the target has elapsed; meeting the target after the
    due time is a breach.
    """
    _check_sla_inputs(target_minutes, started_at, now, met_at, near_breach_fraction)
    ordered = _checked_pauses(pauses)
    met = met_at if met_at is not None and met_at <= now else None
    stop = met if met is not None else now
    clipped = _clip_pauses(ordered, started_at, stop, stopped=met is not None)
    try:
        target = timedelta(minutes=target_minutes)
        due_at = _due_at(calendar, started_at, target, clipped)
    except OverflowError as exc:
        raise InvalidInput(f"An SLA target of {target_minutes!r} minutes runs past year 9999.") from exc
    elapsed = _business_time(calendar, started_at, stop) - sum(
        (_business_time(calendar, begin, end or stop) for begin, end in clipped), _ZERO
    )
    late = due_at is not None and (met or now) > due_at
    if late or met is not None:
        state = SlaState.BREACHED if late else SlaState.MET
    elif clipped and clipped[-1][1] is None:
        state = SlaState.PAUSED
    else:
        state = SlaState.NEAR_BREACH if elapsed >= target * near_breach_fraction else SlaState.RUNNING
    return SlaStatus(
        state=state,
        target_minutes=target_minutes,
        elapsed_minutes=_minutes(elapsed),
        remaining_minutes=_minutes(target - elapsed),
        due_at=due_at,
        met_at=met,
        breached_at=due_at if late else None,
    )


def _minutes(amount: timedelta) -> float:
    return amount.total_seconds() / 60


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"{name} must be timezone-aware (got the naive {moment.isoformat()}).")


def _check_sla_inputs(
    target_minutes: float, started_at: datetime, now: datetime, met_at: datetime | None, fraction: float
) -> None:
    if not math.isfinite(target_minutes) or target_minutes < 0:
        raise InvalidInput(
            f"An SLA target must be a finite number of minutes, at least 0, not {target_minutes!r}."
        )
    if not 0 < fraction <= 1:
        raise InvalidInput(f"The near-breach fraction must be above 0 and at most 1, not {fraction!r}.")
    _require_aware(started_at, "started_at")
    _require_aware(now, "now")
    if now < started_at:
        raise InvalidInput(f"now ({now.isoformat()}) precedes the SLA start ({started_at.isoformat()}).")
    if met_at is not None:
        _require_aware(met_at, "met_at")
        if met_at < started_at:
            raise InvalidInput(
                f"met_at ({met_at.isoformat()}) precedes the SLA start ({started_at.isoformat()})."
            )


def _checked_pauses(pauses: Sequence[Pause]) -> list[Pause]:
    """The pauses in order, after checking each ends after it starts and none overlaps another."""
    for paused_at, resumed_at in pauses:
        _require_aware(paused_at, "paused_at")
        if resumed_at is not None:
            _require_aware(resumed_at, "resumed_at")
            if resumed_at < paused_at:
                raise InvalidInput(
                    f"A pause resumes ({resumed_at.isoformat()}) before it starts ({paused_at.isoformat()})."
                )
    ordered = sorted(pauses, key=lambda pause: pause[0])
    for (first_start, first_end), (second_start, _) in pairwise(ordered):
        if first_end is None or second_start < first_end:
            raise InvalidInput(
                f"Pauses overlap: the one from {first_start.isoformat()} is still running at "
                f"{second_start.isoformat()}."
            )
    return ordered


def _clip_pauses(pauses: list[Pause], start: datetime, stop: datetime, *, stopped: bool) -> list[Pause]:
    """The parts of `pauses` inside [start, stop].

    A pause still running at `stop` stays open, unless the clock `stopped` there (target met): then it
    ends at `stop`, so the due time is what it would have been had the clock kept running.
    """
    clipped: list[Pause] = []
    for paused_at, resumed_at in pauses:
        if paused_at > stop or (stopped and paused_at == stop):
            break
        begin = max(paused_at, start)
        end = resumed_at if resumed_at is not None and resumed_at <= stop else (stop if stopped else None)
        if end is None or end > begin:
            clipped.append((begin, end))
    return clipped


def _due_at(
    calendar: BusinessCalendar, start: datetime, target: timedelta, pauses: list[Pause]
) -> datetime | None:
    """When `target` business time has run, pushed back by the business time spent in `pauses`."""
    cursor, remaining = start, target
    for begin, end in pauses:
        candidate = _add_business_time(calendar, cursor, remaining)
        if candidate <= begin:
            return candidate.astimezone(calendar.zone)
        remaining -= _business_time(calendar, cursor, begin)
        if end is None:
            return None
        cursor = end
    return _add_business_time(calendar, cursor, remaining).astimezone(calendar.zone)


def _is_plain_week(calendar: BusinessCalendar, first_day: date) -> bool:
    """Whether the seven days from `first_day` have no holiday and no UTC-offset change.

    Such a week holds exactly `calendar.week_length` of business time, so it can be skipped whole.
    Offsets are compared at each local midnight: tz rules never change twice within one day.
    """
    holidays = calendar.holidays
    if holidays and any(first_day + _DAY * index in holidays for index in range(7)):
        return False
    midnight = datetime.combine(first_day, time(0), tzinfo=calendar.zone)
    offset = midnight.utcoffset()
    # Adding days to an aware datetime moves its wall clock, so each sum is a later local midnight.
    return all((midnight + _DAY * index).utcoffset() == offset for index in range(1, 8))


def _add_business_time(calendar: BusinessCalendar, start: datetime, amount: timedelta) -> datetime:
    """The earliest UTC instant with `amount` (> 0) business time since `start`, or `start` for zero."""
    cursor = start.astimezone(UTC)
    if amount <= _ZERO:
        return cursor
    first_day = day = cursor.astimezone(calendar.zone).date()
    week, remaining = calendar.week_length, amount
    # The due time is at least this far off; checking first fails fast instead of walking to year 9999.
    if amount * (_WEEK / week) > datetime.max.replace(tzinfo=UTC) - cursor - _WEEK:
        raise OverflowError("business time runs past datetime.max")
    while True:
        if day > first_day and remaining > week and _is_plain_week(calendar, day):
            remaining -= week
            day += _WEEK
            continue
        for opens, closes in calendar.openings(day):
            begin = max(opens, cursor)
            if begin >= closes:
                continue
            if remaining <= closes - begin:
                return begin + remaining
            remaining -= closes - begin
        day += _DAY


def _business_time(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Business time from `start` to `end`, negative when `end` comes first."""
    if end < start:
        return -_business_time(calendar, end, start)
    low, high = start.astimezone(UTC), end.astimezone(UTC)
    first_day = day = low.astimezone(calendar.zone).date()
    last_day = high.astimezone(calendar.zone).date()
    week, total = calendar.week_length, _ZERO
    while day <= last_day:
        if day > first_day and day + _WEEK <= last_day and _is_plain_week(calendar, day):
            total += week
            day += _WEEK
            continue
        for opens, closes in calendar.openings(day):
            overlap = min(closes, high) - max(opens, low)
            if overlap > _ZERO:
                total += overlap
        day += _DAY
    return total
