"""The whole KPI report for a filter: headline figures with formulas, every table, drift. The dashboard, the
API and the CSV export all read this one object, so they always show the same numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from deskpilot.analytics import ai_kpis, conversation_kpis, kb_kpis, review_kpis, ticket_kpis
from deskpilot.analytics.drift import DriftReport, drift_report
from deskpilot.analytics.figures import FigureSource, Kpi, KpiTable, kpi_table
from deskpilot.analytics.filters import KpiFilter
from deskpilot.analytics.trends import trends
from deskpilot.analytics.value import ValueInputs, value_kpis
from deskpilot.config import Settings
from deskpilot.errors import NotFound


@dataclass(frozen=True)
class KpiReport:
    filter: KpiFilter
    figures: list[Kpi]
    tables: dict[str, KpiTable]
    drift: DriftReport
    # Figures the desk cannot compute yet, each with why (shown as such rather than as a number).
    unavailable: list[str] = field(default_factory=list)

    def figure(self, key: str) -> Kpi:
        for kpi in self.figures:
            if kpi.key == key:
                return kpi
        raise NotFound(f"No KPI {key!r}.")

    def table(self, name: str) -> KpiTable:
        if name not in self.tables:
            raise NotFound(f"No KPI table {name!r}; there are: {', '.join(self.tables)}.")
        return self.tables[name]


def build_report(session: Session, flt: KpiFilter, settings: Settings,
                 figure_sources: Sequence[FigureSource] = ()) -> KpiReport:
    """Every KPI, table and drift figure for `flt`: tickets, AI suggestions, chat conversations, value, drift,
    and the figures the faces add from their own data (`figure_sources`, e.g. the e-mail channel's)."""
    figures = ticket_kpis.ticket_kpis(session, flt)
    backlog, ageing = ticket_kpis.backlog(session, flt)
    feedback_table, per_kind = ai_kpis.feedback_table(session, flt)
    accuracy, accuracy_fields, accuracy_categories = ai_kpis.triage_accuracy(session, flt)
    figures += [backlog, *ai_kpis.feedback_kpis(per_kind), *accuracy, ai_kpis.corrections_learned(session, flt)]
    reviewed, review_table = review_kpis.review_accuracy(session, flt)
    figures += reviewed
    figures += [kpi for source in figure_sources if (kpi := source(session, flt)) is not None]
    chats = conversation_kpis.conversation_kpis(session, flt)
    figures += [*chats.figures, kb_kpis.help_centre_helpful(session, flt)]
    created = int(figures[0].value or 0)
    triage_kept = int(accuracy[0].numerator or 0)
    figures += value_kpis(ValueInputs(tickets=created, triage_kept=triage_kept,
                                      drafts_used=ai_kpis.drafts_used(session, flt), deflected=chats.deflected,
                                      days=flt.days), settings)
    drift = drift_report(session, flt, settings)
    tables = [kpi_table(figures), trends(session, flt, "day"), trends(session, flt, "week"), ageing,
              ticket_kpis.by_queue(session, flt), ticket_kpis.escalations(session, flt), feedback_table,
              accuracy_fields, accuracy_categories, *chats.tables, drift.periods, drift.categories,
              drift.confidence, review_table]
    return KpiReport(flt, figures, {t.name: t for t in tables}, drift)


def as_json(report: KpiReport) -> dict[str, Any]:
    """The report as plain JSON values (the API's body)."""
    return {
        "filters": report.filter.describe(),
        "kpis": [{"key": k.key, "label": k.label, "value": k.value, "unit": k.unit.value, "formula": k.formula,
                  "numerator": k.numerator, "denominator": k.denominator} for k in report.figures],
        "tables": {name: {"title": t.title, "columns": list(t.columns), "rows": t.as_dicts()}
                   for name, t in report.tables.items()},
        "drift": {"alert": report.drift.alert, "message": report.drift.message,
                  "category_js": report.drift.category_js, "confidence_psi": report.drift.confidence_psi,
                  "model_version": report.drift.profile.version if report.drift.profile else None},
        "unavailable": report.unavailable,
    }
