"""Business calendars and SLA clocks: hand-computed cases plus properties checked against brute force."""

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskpilot.errors import InvalidInput
from deskpilot.tickets.calendar import BusinessCalendar
from deskpilot.tickets.sla_clock import (
    Pause,
    SlaState,
    add_business_minutes,
    business_minutes_between,
    evaluate_sla,
)

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")

OFFICE = BusinessCalendar.from_dict(
    {"timezone": "Europe/Berlin", "hours": {d: ["08:00-18:00"] for d in WEEKDAYS}, "holidays": ["2026-12-25"]}
)
SPLIT = BusinessCalendar.from_dict(
    {
        "timezone": "Europe/Berlin",
        "hours": {**{d: ["08:00-12:00", "13:00-17:00"] for d in WEEKDAYS}, "sat": ["10:00-14:00"]},
    }
)
EVERY_DAY = (*WEEKDAYS, "sat", "sun")
NIGHT = BusinessCalendar.from_dict(
    {"timezone": "Europe/Berlin", "hours": {d: ["01:00-04:00", "20:00-24:00"] for d in EVERY_DAY}}
)
# Sunday shift that starts inside the hour the clocks skip in March and repeat in October.
IN_THE_JUMP = BusinessCalendar.from_dict({"timezone": "Europe/Berlin", "hours": {"sun": ["02:30-03:30"]}})
ALWAYS_BERLIN = BusinessCalendar.always_open("Europe/Berlin")
ALWAYS_UTC = BusinessCalendar.always_open()


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("calendar", "start", "minutes", "due"),
    [
        pytest.param(OFFICE, berlin(2026, 1, 2, 17), 120, berlin(2026, 1, 5, 9), id="fri-17h-to-mon-9h"),
        pytest.param(OFFICE, berlin(2026, 12, 24, 17), 120, berlin(2026, 12, 28, 9), id="holiday-friday"),
        pytest.param(OFFICE, berlin(2026, 1, 3, 10), 30, berlin(2026, 1, 5, 8, 30), id="starts-on-saturday"),
        pytest.param(OFFICE, berlin(2026, 1, 5, 6), 0, berlin(2026, 1, 5, 6), id="zero-minutes-is-start"),
        pytest.param(OFFICE, berlin(2026, 1, 5, 7), 600, berlin(2026, 1, 5, 18), id="ends-at-closing"),
        pytest.param(OFFICE, berlin(2026, 3, 27, 17), 120, berlin(2026, 3, 30, 9), id="march-dst"),
        pytest.param(OFFICE, berlin(2026, 10, 23, 17), 120, berlin(2026, 10, 26, 9), id="october-dst"),
        pytest.param(ALWAYS_BERLIN, berlin(2026, 3, 28, 12), 1440, berlin(2026, 3, 29, 13), id="24x7-march"),
        pytest.param(ALWAYS_BERLIN, berlin(2026, 10, 24, 12), 1440, berlin(2026, 10, 25, 11), id="24x7-oct"),
        pytest.param(
            ALWAYS_UTC, datetime(2026, 1, 1, tzinfo=UTC), 100_000, datetime(2026, 3, 11, 10, 40, tzinfo=UTC),
            id="24x7-utc",
        ),
        # 52 weeks of 3000 minutes, one of them short by the Christmas holiday.
        pytest.param(OFFICE, berlin(2026, 1, 5, 8), 156_000, berlin(2027, 1, 4, 18), id="a-year-of-weeks"),
        pytest.param(ALWAYS_BERLIN, berlin(2026, 1, 1), 181 * 1440 - 60, berlin(2026, 7, 1), id="half-year"),
        pytest.param(SPLIT, berlin(2026, 1, 5, 11, 30), 60, berlin(2026, 1, 5, 13, 30), id="skips-lunch"),
        pytest.param(SPLIT, berlin(2026, 1, 9, 16, 30), 120, berlin(2026, 1, 10, 11, 30), id="saturday"),
        pytest.param(NIGHT, berlin(2026, 3, 29, 1), 120, berlin(2026, 3, 29, 4), id="shift-loses-an-hour"),
        pytest.param(NIGHT, berlin(2026, 10, 25, 1), 180, berlin(2026, 10, 25, 3), id="shift-gains-one"),
    ],
)
def test_due_time_counts_only_business_minutes(
    calendar: BusinessCalendar, start: datetime, minutes: int, due: datetime
) -> None:
    result = add_business_minutes(calendar, start, minutes)
    assert result == due
    assert result.utcoffset() == due.utcoffset()
    assert business_minutes_between(calendar, start, result) == minutes


@pytest.mark.parametrize(
    ("calendar", "start", "end", "minutes"),
    [
        pytest.param(OFFICE, berlin(2026, 1, 2, 17), berlin(2026, 1, 5, 9), 120, id="over-a-weekend"),
        pytest.param(OFFICE, berlin(2026, 12, 21, 8), berlin(2026, 12, 28, 8), 2400, id="week-with-holiday"),
        pytest.param(OFFICE, berlin(2026, 1, 5, 9), berlin(2026, 1, 2, 17), -120, id="reversed-is-negative"),
        pytest.param(ALWAYS_BERLIN, berlin(2026, 3, 29), berlin(2026, 3, 30), 1380, id="23-hour-day"),
        pytest.param(ALWAYS_BERLIN, berlin(2026, 10, 25), berlin(2026, 10, 26), 1500, id="25-hour-day"),
        pytest.param(NIGHT, berlin(2026, 3, 29), berlin(2026, 3, 30), 360, id="night-shifts-in-march"),
        # 181 days of 24x7 in whole skipped weeks, less the hour the clocks jump in March.
        pytest.param(ALWAYS_BERLIN, berlin(2026, 1, 1), berlin(2026, 7, 1), 181 * 1440 - 60, id="half-year"),
        pytest.param(IN_THE_JUMP, berlin(2026, 3, 29), berlin(2026, 3, 30), 30, id="opens-at-the-jump"),
        pytest.param(IN_THE_JUMP, berlin(2026, 10, 25), berlin(2026, 10, 26), 120, id="opens-first-02-30"),
    ],
)
def test_business_minutes_between(
    calendar: BusinessCalendar, start: datetime, end: datetime, minutes: int
) -> None:
    assert business_minutes_between(calendar, start, end) == minutes


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(InvalidInput, match="start must be timezone-aware"):
        add_business_minutes(OFFICE, datetime(2026, 1, 5, 9), 10)
    with pytest.raises(InvalidInput, match="end must be timezone-aware"):
        business_minutes_between(OFFICE, berlin(2026, 1, 5, 9), datetime(2026, 1, 5, 10))


@pytest.mark.parametrize("minutes", [-1, float("nan"), float("inf")])
def test_minutes_must_be_finite_and_not_negative(minutes: float) -> None:
    with pytest.raises(InvalidInput, match="finite number of at least 0"):
        add_business_minutes(OFFICE, berlin(2026, 1, 5, 9), minutes)


def test_calendar_survives_its_stored_form() -> None:
    for calendar in (OFFICE, SPLIT, NIGHT, ALWAYS_BERLIN):
        assert BusinessCalendar.from_dict(calendar.to_dict()) == calendar
    assert ALWAYS_UTC.to_dict()["hours"]["sun"] == ["00:00-24:00"]
    assert OFFICE.to_dict()["holidays"] == ["2026-12-25"]


def test_yaml_dates_and_unordered_intervals_are_accepted() -> None:
    calendar = BusinessCalendar.from_dict(
        {"timezone": "UTC", "hours": {"Mon": ["13:00-17:00", "08:00-12:00"]}, "holidays": [date(2026, 1, 1)]}
    )
    assert calendar.to_dict() == {
        "timezone": "UTC", "hours": {"mon": ["08:00-12:00", "13:00-17:00"]}, "holidays": ["2026-01-01"],
    }


def _with(**changes: Any) -> dict[str, Any]:
    return {"timezone": "Europe/Berlin", "hours": {"mon": ["08:00-18:00"]}, **changes}


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        pytest.param(_with(timezone="Mars/Olympus"), "Unknown timezone 'Mars/Olympus'", id="timezone"),
        pytest.param(_with(hours={"mon": ["8am-6pm"]}), "Bad opening interval '8am-6pm' on mon", id="format"),
        pytest.param(_with(hours={"mon": ["25:00-26:00"]}), "hours run 00-23", id="hour-out-of-range"),
        pytest.param(_with(hours={"mon": ["18:00-08:00"]}), "18:00-08:00 on mon must end", id="reverse"),
        pytest.param(_with(hours={"mon": ["08:00-08:00"]}), "must end after it starts", id="empty"),
        pytest.param(_with(hours={"mon": ["08:00-00:00"]}), "as 24:00", id="midnight-spelled-00:00"),
        pytest.param(_with(hours={"funday": ["08:00-18:00"]}), "Unknown weekday 'funday'", id="weekday"),
        pytest.param(
            _with(hours={"mon": ["08:00-12:00", "11:00-18:00"]}),
            "Opening intervals 08:00-12:00 and 11:00-18:00 on mon overlap", id="overlap",
        ),
        pytest.param(_with(hours={"mon": "08:00-18:00"}), "must be a list of intervals", id="not-a-list"),
        pytest.param(_with(hours={"sat": []}), "no opening hours", id="never-open"),
        pytest.param(_with(holidays=["2026-13-01"]), "Bad holiday '2026-13-01'", id="bad-holiday"),
        pytest.param({"hours": {"mon": ["08:00-18:00"]}}, "needs a 'timezone'", id="no-timezone"),
        pytest.param(_with(hours=None), "needs 'hours'", id="no-hours"),
        pytest.param(_with(weekends="closed"), "Unknown calendar field(s): weekends", id="unknown-field"),
    ],
)
def test_invalid_calendar_says_what_to_fix(definition: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        BusinessCalendar.from_dict(definition)
    assert message in caught.value.message


def mon(hour: int, minute: int = 0) -> datetime:
    """Monday 5 January 2026 in Berlin."""
    return berlin(2026, 1, 5, hour, minute)


def tue(hour: int, minute: int = 0) -> datetime:
    return berlin(2026, 1, 6, hour, minute)


MON_9 = mon(9)


@pytest.mark.parametrize(
    ("start", "now", "pauses", "met_at", "state", "elapsed", "due"),
    [
        pytest.param(MON_9, mon(10), [], None, SlaState.RUNNING, 60, mon(13),
                     id="running"),
        pytest.param(MON_9, mon(12, 11), [], None, SlaState.RUNNING, 191, mon(13),
                     id="just-below-80-percent"),
        pytest.param(MON_9, mon(12, 12), [], None, SlaState.NEAR_BREACH, 192,
                     mon(13), id="near-breach-at-80-percent"),
        pytest.param(MON_9, mon(13, 30), [], None, SlaState.BREACHED, 270, mon(13),
                     id="breached"),
        pytest.param(MON_9, mon(15), [], mon(12), SlaState.MET, 180,
                     mon(13), id="met-before-due"),
        pytest.param(MON_9, mon(15), [], mon(13), SlaState.MET, 240,
                     mon(13), id="met-exactly-at-due"),
        pytest.param(MON_9, mon(12), [(mon(10), mon(11, 30))], None,
                     SlaState.RUNNING, 90, mon(14, 30), id="pause-shifts-due"),
        pytest.param(mon(16), tue(10), [(mon(17), tue(9))],
                     None, SlaState.RUNNING, 120, tue(12), id="overnight-pause-shifts-2h-only"),
        pytest.param(MON_9, mon(15), [(mon(10), None)], None, SlaState.PAUSED, 60,
                     None, id="open-pause-keeps-clock-paused"),
        pytest.param(MON_9, mon(15), [(mon(10), mon(16))], None,
                     SlaState.PAUSED, 60, None, id="resumed-after-now-is-still-paused"),
        pytest.param(MON_9, mon(15), [(mon(14), None)], None, SlaState.BREACHED, 300,
                     mon(13), id="pause-after-breach-stays-breached"),
        pytest.param(MON_9, mon(11), [(mon(7), mon(10))], None,
                     SlaState.RUNNING, 60, mon(14), id="pause-before-start-is-clipped"),
        pytest.param(MON_9, mon(15), [(mon(10), None)], mon(11),
                     SlaState.MET, 60, mon(14), id="met-while-paused"),
        pytest.param(MON_9, mon(12), [(mon(12, 30), None)], mon(16),
                     SlaState.RUNNING, 180, mon(13), id="events-after-now-not-yet-happened"),
    ],
)
def test_sla_clock_state(
    start: datetime, now: datetime, pauses: list[Pause], met_at: datetime | None,
    state: SlaState, elapsed: int, due: datetime | None,
) -> None:
    status = evaluate_sla(
        calendar=OFFICE, target_minutes=240, started_at=start, now=now, pauses=pauses, met_at=met_at
    )
    assert (status.state, status.elapsed_minutes, status.due_at) == (state, elapsed, due)
    assert status.remaining_minutes == 240 - elapsed
    assert status.breached_at == (due if state is SlaState.BREACHED else None)
    assert status.met_at == (met_at if met_at is not None and met_at <= now else None)


def test_met_after_due_is_a_breach_that_reports_both_times() -> None:
    status = evaluate_sla(calendar=OFFICE, target_minutes=240, started_at=MON_9, now=mon(15),
                          met_at=mon(14))
    assert status.state is SlaState.BREACHED
    assert (status.met_at, status.breached_at) == (mon(14), mon(13))
    assert (status.elapsed_minutes, status.remaining_minutes) == (300, -60)


def test_near_breach_fraction_is_configurable() -> None:
    status = evaluate_sla(calendar=OFFICE, target_minutes=240, started_at=MON_9, now=mon(11),
                          near_breach_fraction=0.5)
    assert status.state is SlaState.NEAR_BREACH


def test_clock_breaches_when_the_due_time_passes_outside_hours() -> None:
    start = mon(14)
    status = evaluate_sla(calendar=OFFICE, target_minutes=240, started_at=start, now=mon(18, 1))
    assert (status.state, status.elapsed_minutes, status.breached_at) == (
        SlaState.BREACHED, 240, mon(18),
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"started_at": datetime(2026, 1, 5, 9)}, "started_at must be timezone", id="naive"),
        pytest.param({"now": mon(8)}, "precedes the SLA start", id="now-before-start"),
        pytest.param({"met_at": mon(8)}, "met_at", id="met-before-start"),
        pytest.param({"target_minutes": -5}, "SLA target", id="negative-target"),
        pytest.param({"near_breach_fraction": 0}, "near-breach fraction", id="zero-fraction"),
        pytest.param({"near_breach_fraction": 1.5}, "near-breach fraction", id="fraction-above-one"),
        pytest.param({"pauses": [(mon(11), mon(10))]}, "resumes", id="reversed-pause"),
        pytest.param({"pauses": [(mon(10), None), (mon(11), None)]}, "overlap",
                     id="two-open-pauses"),
        pytest.param({"pauses": [(mon(10), mon(12)),
                                 (mon(11), mon(13))]}, "overlap", id="overlapping"),
    ],
)
def test_invalid_sla_input_is_rejected(changes: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"calendar": OFFICE, "target_minutes": 240, "started_at": MON_9,
                                 "now": mon(12), **changes}
    with pytest.raises(InvalidInput, match=message):
        evaluate_sla(**arguments)


CALENDARS = st.sampled_from([OFFICE, SPLIT, NIGHT, ALWAYS_BERLIN])
STARTS = st.datetimes(datetime(2025, 1, 1), datetime(2028, 12, 31), timezones=st.just(UTC))
MINUTES = st.integers(min_value=0, max_value=300_000)


@settings(max_examples=150, deadline=None)
@given(calendar=CALENDARS, start=STARTS, minutes=MINUTES)
def test_minutes_between_start_and_due_are_the_minutes_added(
    calendar: BusinessCalendar, start: datetime, minutes: int
) -> None:
    due = add_business_minutes(calendar, start, minutes)
    assert business_minutes_between(calendar, start, due) == minutes


@settings(max_examples=100, deadline=None)
@given(calendar=CALENDARS, start=STARTS, first=MINUTES, second=MINUTES)
def test_due_time_grows_with_minutes_and_adds_up(
    calendar: BusinessCalendar, start: datetime, first: int, second: int
) -> None:
    smaller, larger = sorted((first, second))
    earlier, later = (add_business_minutes(calendar, start, amount) for amount in (smaller, larger))
    assert start <= earlier <= later
    stepped = add_business_minutes(calendar, add_business_minutes(calendar, start, first), second)
    assert stepped == add_business_minutes(calendar, start, first + second)


def _open_minutes_by_brute_force(calendar: BusinessCalendar, start: datetime, end: datetime) -> int:
    """Counts each UTC minute whose local wall time falls inside an opening interval."""
    count, moment = 0, start
    while moment < end:
        local = moment.astimezone(calendar.zone)
        clock = timedelta(hours=local.hour, minutes=local.minute)
        if local.date() not in calendar.holidays:
            for opens, closes in calendar.hours.get(local.weekday(), ()):
                limit = timedelta(hours=closes.hour, minutes=closes.minute) or timedelta(days=1)
                count += timedelta(hours=opens.hour, minutes=opens.minute) <= clock < limit
        moment += timedelta(minutes=1)
    return count


# Windows around the 2026 DST changes, Christmas, and an ordinary week.
WINDOW_STARTS = st.sampled_from(
    [datetime(2026, month, day, tzinfo=UTC) for month, day in ((3, 26), (10, 22), (12, 22), (6, 1))]
)


@settings(max_examples=40, deadline=None)
@given(
    calendar=CALENDARS, window=WINDOW_STARTS, offset=st.integers(0, 5 * 1440), length=st.integers(0, 3 * 1440)
)
def test_minutes_between_match_brute_force_and_grow_with_the_end(
    calendar: BusinessCalendar, window: datetime, offset: int, length: int
) -> None:
    start = window + timedelta(minutes=offset)
    end = start + timedelta(minutes=length)
    counted = business_minutes_between(calendar, start, end)
    assert counted == _open_minutes_by_brute_force(calendar, start, end)
    assert business_minutes_between(calendar, start, end - timedelta(minutes=length // 2)) <= counted
