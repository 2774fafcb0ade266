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


class day_of(FunctionElement[str]):  # noqa: N801 - used like a SQL function
    """The UTC calendar day of a timestamp as 'YYYY-MM-DD'."""

    type = String()
    inherit_cache = True
    name = "day_of"


class week_of(FunctionElement[str]):  # noqa: N801 - used like a SQL function
    """The Monday (UTC) of the ISO week of a timestamp as 'YYYY-MM-DD'."""

    type = String()
    inherit_cache = True
    name = "week_of"


@compiles(day_of, "sqlite")
def _day_sqlite(element: day_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(list(element.clauses)[0], **kw)})"


@compiles(week_of, "sqlite")
def _week_sqlite(element: week_of, compiler: SQLCompiler, **kw: Any) -> str:
    # 'weekday 0' moves forward to Sunday (or stays on it); six days back is that week's Monday.
    return f"date({compiler.process(list(element.clauses)[0], **kw)}, 'weekday 0', '-6 days')"


@compiles(day_of, "postgresql")
def _day_postgres(element: day_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char(({compiler.process(list(element.clauses)[0], **kw)}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


@compiles(week_of, "postgresql")
def _week_postgres(element: week_of, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(list(element.clauses)[0], **kw)
    return f"to_char(date_trunc('week', ({column}) AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"


def ratio(numerator: float | int | None, denominator: float | int | None) -> float | None:
    """numerator / denominator, or None when there is nothing to divide by."""
    if not denominator or numerator is None:
        return None
    return float(numerator) / float(denominator)


def bucket(column: SQLColumnExpression[Any], grain: str) -> FunctionElement[str]:
    """The day or week bucket of `column` (grain 'day' or 'week')."""
    return week_of(column) if grain == "week" else day_of(column)
