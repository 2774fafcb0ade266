"""/api/v1/analytics: the KPI dashboard's figures as JSON, and each of its tables as CSV."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from deskpilot.analytics import service as analytics
from deskpilot.analytics.report import as_json
from deskpilot.api.deps import CurrentPrincipal, SessionDep, SettingsDep
from deskpilot.channels.email import kpis as email_kpis
from deskpilot.tickets.enums import Channel

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])

FirstDay = Annotated[date | None, Query(alias="from", description="first day (UTC), inclusive")]
LastDay = Annotated[date | None, Query(alias="to", description="last day (UTC), inclusive")]
QueueFilter = Annotated[int | None, Query(alias="queue", ge=1, le=2_147_483_647)]
ChannelFilter = Annotated[Channel | None, Query()]
TableName = Annotated[str, Path(pattern=r"^[a-z_]{1,40}$")]


def csv_response(body: str, filename: str) -> Response:
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/kpis", operation_id="get_kpis")
def get_kpis(session: SessionDep, actor: CurrentPrincipal, settings: SettingsDep, first_day: FirstDay = None,
             last_day: LastDay = None, queue: QueueFilter = None, channel: ChannelFilter = None) -> dict[str, Any]:
    """Every KPI with its formula, trends, per-queue and AI tables, and drift (leads, admins, auditors)."""
    report = analytics.get_report(session, actor=actor, settings=settings, first_day=first_day, last_day=last_day,
                                  queue_id=queue, channel=channel, figure_sources=email_kpis.FIGURES)
    return as_json(report)


@router.get("/kpis/{table}.csv", operation_id="export_kpi_table", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def export_table(table: TableName, session: SessionDep, actor: CurrentPrincipal, settings: SettingsDep,
                 first_day: FirstDay = None, last_day: LastDay = None, queue: QueueFilter = None,
                 channel: ChannelFilter = None) -> Response:
    """One table of the report as CSV (`kpis`, `trend_day`, `trend_week`, `ageing`, `queues`, ...)."""
    report = analytics.get_report(session, actor=actor, settings=settings, first_day=first_day, last_day=last_day,
                                  queue_id=queue, channel=channel, figure_sources=email_kpis.FIGURES)
    flt = report.filter
    return csv_response(report.table(table).to_csv(), f"deskpilot-{table}-{flt.first_day}-{flt.last_day}.csv")
