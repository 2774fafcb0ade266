"""Portable SQL pieces the KPI queries need: durations and calendar buckets on SQLite and PostgreSQL.

Timestamps are stored as naive UTC text on SQLite and as timestamptz on PostgreSQL (see db.UtcDateTime),
so each construct compiles to the native date arithmetic of the dialect it runs on.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, SQLColumnExpression, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class seconds_between(FunctionElement[float]):  # noqa: N801 - used like a SQL function
    """`end - start` in seconds (float); NULL when either side is NULL."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    end, start = list(element.clauses)
    return (f"((julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)}))"
            " * 86400.0)")


@compiles(seconds_between, "postgresql")
def _seconds_postgres(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    end, start = list(element.clauses)
    return f"EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)}))"


class day_start(FunctionElement[Any]):  # noqa: N801 - used like a SQL function
    """The UTC calendar day of a timestamp, to group by (compare and format with `iso_day`)."""

    inherit_cache = True
    name = "day_start"


class week_start(FunctionElement[Any]):  # noqa: N801 - used like a SQL function
    """The Monday (UTC) of the ISO week of a timestamp, to group by (format with `iso_day`)."""

    inherit_cache = True
    name = "week_start"


class iso_day(FunctionElement[str]):  # noqa: N801 - used like a SQL function
    """A `day_start` or `week_start` as 'YYYY-MM-DD'."""

    type = String()
    inherit_cache = True
    name = "iso_day"


@compiles(day_start, "sqlite")
def _day_sqlite(element: day_start, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(list(element.clauses)[0], **kw)})"


@compiles(week_start, "sqlite")
def _week_sqlite(element: week_start, compiler: SQLCompiler, **kw: Any) -> str:
    # 'weekday 0' moves forward to Sunday (or stays on it); six days back is that week's Monday.
    return f"date({compiler.process(list(element.clauses)[0], **kw)}, 'weekday 0', '-6 days')"


@compiles(iso_day, "sqlite")
def _iso_day_sqlite(element: iso_day, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(list(element.clauses)[0], **kw)  # date() already wrote 'YYYY-MM-DD'


# PostgreSQL groups by the truncated timestamp and formats each group once: to_char on every row of a year
# of tickets cost more than the aggregation itself.
@compiles(day_start, "postgresql")
def _day_postgres(element: day_start, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date_trunc('day', ({compiler.process(list(element.clauses)[0], **kw)}) AT TIME ZONE 'UTC')"


@compiles(week_start, "postgresql")
def _week_postgres(element: week_start, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date_trunc('week', ({compiler.process(list(element.clauses)[0], **kw)}) AT TIME ZONE 'UTC')"


@compiles(iso_day, "postgresql")
def _iso_day_postgres(element: iso_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char({compiler.process(list(element.clauses)[0], **kw)}, 'YYYY-MM-DD')"


def ratio(numerator: float | int | None, denominator: float | int | None) -> float | None:
    """numerator / denominator, or None when there is nothing to divide by."""
    if not denominator or numerator is None:
        return None
    return float(numerator) / float(denominator)


def bucket(column: SQLColumnExpression[Any], grain: str) -> FunctionElement[Any]:
    """The day or week (grain 'day' or 'week') of `column`: GROUP BY it, SELECT `iso_day()` of it."""
    return week_start(column) if grain == "week" else day_start(column)
