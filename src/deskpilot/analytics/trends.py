"""KPI trends by day or week over the period: volume, resolution, SLA breaches and AI acceptance."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from deskpilot.analytics.ai_kpis import feedback_in
from deskpilot.analytics.figures import KpiTable
from deskpilot.analytics.filters import KpiFilter
from deskpilot.analytics.sql import bucket, iso_day, ratio
from deskpilot.analytics.ticket_kpis import breached
from deskpilot.audit.decisions_models import AiFeedback
from deskpilot.audit.enums import FeedbackAction
from deskpilot.tickets.models import Ticket


def _buckets(flt: KpiFilter, grain: str) -> list[str]:
    day = flt.first_day
    if grain == "week":
        day = day - timedelta(days=day.weekday())
    step = timedelta(days=7 if grain == "week" else 1)
    out: list[str] = []
    while day <= flt.last_day:
        out.append(day.isoformat())
        day = day + step
    return out


def trends(session: Session, flt: KpiFilter, grain: str | None = None) -> KpiTable:
    """One row per day (or week, for long periods), every bucket present even when empty."""
    grain = grain or flt.grain
    opened = bucket(Ticket.created_at, grain)
    tickets: dict[str, Any] = {row[0]: row for row in session.execute(
        select(iso_day(opened), func.count(), func.sum(case((Ticket.resolved_at.is_not(None), 1), else_=0)),
               func.sum(case((Ticket.sla_policy_id.is_not(None) & breached(flt.now), 1), else_=0)))
        .where(flt.created_in_period()).group_by(opened)).all()}
    answered = bucket(AiFeedback.created_at, grain)
    accepts = func.sum(case((AiFeedback.action == FeedbackAction.ACCEPTED, 1), else_=0))
    feedback: dict[str, Any] = {row[0]: row for row in session.execute(feedback_in(flt, select(
        iso_day(answered), func.count(), accepts).select_from(AiFeedback)).group_by(answered)).all()}
    return trend_table(flt, grain, tickets, feedback)


def trend_table(flt: KpiFilter, grain: str, tickets: dict[str, Any], feedback: dict[str, Any]) -> KpiTable:
    """Every bucket of the period from (bucket, created, resolved, breached) and (bucket, given, accepted) rows."""
    rows = []
    for key in _buckets(flt, grain):
        t, f = tickets.get(key), feedback.get(key)
        created, resolved, late = (int(t[1]), int(t[2] or 0), int(t[3] or 0)) if t else (0, 0, 0)
        given, accepted = (int(f[1]), int(f[2] or 0)) if f else (0, 0)
        rows.append((key, created, resolved, late, given, accepted, ratio(accepted, given)))
    return KpiTable(f"trend_{grain}", f"Trend by {grain}",
                    (grain, "created", "resolved", "sla_breached", "ai_feedback", "ai_accepted", "ai_acceptance_rate"),
                    rows)
