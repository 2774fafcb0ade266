"""The KPI dashboard for leads, admins and auditors: headline figures with formulas, SVG charts with the
tables behind them, drift alert, filters, and a CSV export of every table (served by the analytics API)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from deskpilot.analytics import service as analytics
from deskpilot.analytics.figures import Kpi, Unit
from deskpilot.analytics.report import KpiReport
from deskpilot.api.deps import SessionDep
from deskpilot.channels.email import kpis as email_kpis
from deskpilot.governance import pilot, switches
from deskpilot.tickets.enums import Channel
from deskpilot.tickets.models import Queue
from deskpilot.web.answer_curve import answer_curve
from deskpilot.web.charts import bar_chart, share_bars
from deskpilot.web.templating import render
from deskpilot.web.viewer import ViewerDep

router = APIRouter(include_in_schema=False)

HEADLINE = ("tickets_created", "first_contact_resolution", "mttr_hours", "sla_breach_rate", "backlog",
            "ai_acceptance_rate", "triage_accuracy_category", "deflection_rate", "self_service_completion_rate",
            "csat_ai_handled", "csat_human_handled", "agent_minutes_saved", "cost_per_ticket", "roi",
            "email_agent_minutes_ai_draft", "email_agent_minutes_no_draft", "ai_review_accuracy")


def format_kpi(kpi: Kpi) -> str:
    """A figure as a person reads it: 42 %, 3.5 h, 1,234, EUR 12.30, 4.25 (a score)."""
    if kpi.value is None:
        return "no data"
    if kpi.unit is Unit.RATIO:
        return f"{kpi.value:.1%}"
    if kpi.unit is Unit.HOURS:
        return f"{kpi.value:.1f} h"
    if kpi.unit is Unit.MINUTES:
        return f"{kpi.value:,.0f} min"
    if kpi.unit in (Unit.MONEY, Unit.SCORE):
        return f"{kpi.value:,.2f}"
    return f"{kpi.value:,.0f}"


def _charts(report: KpiReport) -> dict[str, object]:
    trend = report.table(f"trend_{report.filter.grain}")
    accuracy = report.table("triage_accuracy")
    feedback = [(f"{r[0]} {r[1]}", r[5]) for r in report.table("ai_feedback").rows]
    return {
        "created": bar_chart([(str(r[0]), float(r[1])) for r in trend.rows],
                             title=f"Tickets created per {report.filter.grain}", dates=True),
        "breached": bar_chart([(str(r[0]), float(r[3])) for r in trend.rows], color="#b3261e",
                              title=f"SLA breaches per {report.filter.grain}", dates=True),
        "accuracy": share_bars([(f"triage {r[0]}", r[3]) for r in accuracy.rows],
                               title="Triage agreement with the final values"),
        "acceptance": share_bars(feedback or [("no feedback yet", None)], title="AI suggestions accepted"),
        "ageing": bar_chart([(str(r[0]), float(r[1])) for r in report.table("ageing").rows], color="#8a5a00",
                            title="Open tickets by age"),
        "handoffs": bar_chart([(str(r[0]), float(r[2])) for r in report.table("handoff_reasons").rows],
                              color="#5b3f8c", title="Conversations handed to a person, by reason"),
    }


@router.get("/dashboard")
def dashboard(request: Request, session: SessionDep, viewer: ViewerDep,
              first_day: Annotated[date | None, Query(alias="from")] = None,
              last_day: Annotated[date | None, Query(alias="to")] = None,
              queue: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
              channel: Annotated[Channel | None, Query()] = None) -> Response:
    """KPIs for the period (last 30 days by default), one queue and one channel when chosen."""
    report = analytics.get_report(session, actor=viewer.principal, settings=request.app.state.settings,
                                  first_day=first_day, last_day=last_day, queue_id=queue, channel=channel,
                                  figure_sources=email_kpis.FIGURES)
    flt = report.filter
    params = {"from": flt.first_day.isoformat(), "to": flt.last_day.isoformat(), "queue": queue or "",
              "channel": channel.value if channel else ""}
    query = urlencode({k: v for k, v in params.items() if v})
    figures = {k.key: k for k in report.figures}
    settings = request.app.state.settings
    shadow = [("Triage", pilot.triage_report(session, actor=viewer.principal, settings=settings, since=flt.start)),
              ("Chat answers", pilot.answer_report(session, actor=viewer.principal, settings=settings,
                                                   since=flt.start))]
    return render(request, "dashboard/index.html", {
        "report": report, "headline": [figures[key] for key in HEADLINE if key in figures],
        "format_kpi": format_kpi, "charts": _charts(report), "query": query, "filters": params,
        "queues": session.execute(select(Queue.id, Queue.name).order_by(Queue.name)).all(),
        "channels": list(Channel),
        "ai_switches": switches.not_on_auto(session), "describe_switch": switches.describe,
        "answer_curve": answer_curve(request.app.state.settings),
        "pilot": shadow, "flt_start": flt.first_day.isoformat(),
    }, viewer=viewer)
