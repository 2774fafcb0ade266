"""The shapes every KPI query returns: a figure with its formula, and a table (which is also a CSV)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from deskpilot.analytics.filters import KpiFilter
from deskpilot.safe_csv import SafeCsvWriter


class Unit(StrEnum):
    COUNT = "count"
    RATIO = "ratio"
    HOURS = "hours"
    MINUTES = "minutes"
    MONEY = "money"
    SCORE = "score"


@dataclass(frozen=True)
class Kpi:
    """One headline number; `value` is None when there is no data to compute it from."""

    key: str
    label: str
    value: float | None
    unit: Unit
    formula: str
    numerator: float | None = None
    denominator: float | None = None


@dataclass(frozen=True)
class KpiTable:
    """A named table of results; every table can be exported as CSV."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = SafeCsvWriter(buffer)
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow(["" if value is None else _cell(value) for value in row])
        return buffer.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    return value


def kpi_table(figures: list[Kpi]) -> KpiTable:
    """The headline figures themselves as a table (for the CSV export and the accessible view)."""
    return KpiTable("kpis", "Headline KPIs", ("key", "label", "value", "unit", "numerator", "denominator",
                                              "formula"),
                    [(k.key, k.label, k.value, k.unit.value, k.numerator, k.denominator, k.formula)
                     for k in figures])


# A figure a face adds to the report from data analytics does not read itself (a channel's own tables);
# None when it has nothing to say for the filter.
FigureSource = Callable[[Session, KpiFilter], Kpi | None]
