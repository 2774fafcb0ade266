"""Ticket KPIs: first-contact resolution, MTTR (with and without SLA pauses), SLA breaches, backlog, ageing,
escalations. Each is one aggregate query over the tickets created in the period; per-ticket counts (agent
replies, paused time) come from the facts the tickets service keeps on each ticket (tickets/facts.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from deskpilot.analytics.figures import Kpi, KpiTable, Unit
from deskpilot.analytics.filters import KpiFilter
from deskpilot.analytics.sql import ratio, seconds_between
from deskpilot.tickets.enums import TicketStatus
from deskpilot.tickets.lifecycle import OPEN_STATUSES
from deskpilot.tickets.models import EscalationNotice, Queue, Ticket

AGE_BUCKETS = ((0, 1, "under 1 day"), (1, 3, "1-3 days"), (3, 7, "3-7 days"), (7, 30, "7-30 days"),
               (30, None, "over 30 days"))


def _count(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


def breached(now_param: Any) -> ColumnElement[bool]:
    """A ticket missed its SLA: the sweep marked it, or a target passed before the clock stopped."""
    first_late = func.coalesce(Ticket.first_responded_at, now_param) > Ticket.first_response_due_at
    resolution_late = and_(func.coalesce(Ticket.resolved_at, now_param) > Ticket.resolution_due_at,
                           Ticket.status != TicketStatus.WAITING_ON_CUSTOMER)
    return or_(Ticket.sla_state == "breached", first_late, resolution_late)


def ticket_kpis(session: Session, flt: KpiFilter) -> list[Kpi]:
    """Volume, FCR, MTTR gross and net of SLA pauses, first response time, SLA breach rate, reopen rate."""
    resolved = Ticket.resolved_at.is_not(None)
    with_sla = Ticket.sla_policy_id.is_not(None)
    row = session.execute(select(
        func.count().label("created"),
        _count(resolved).label("resolved"),
        _count(and_(resolved, Ticket.reopen_count == 0, Ticket.agent_replies <= 1)).label("fcr"),
        _count(and_(resolved, Ticket.reopen_count > 0)).label("reopened"),
        func.sum(case((resolved, seconds_between(Ticket.resolved_at, Ticket.created_at)))).label("gross"),
        func.sum(case((resolved, Ticket.paused_seconds))).label("paused"),
        _count(Ticket.first_responded_at.is_not(None)).label("responded"),
        func.sum(seconds_between(Ticket.first_responded_at, Ticket.created_at)).label("response"),
        _count(with_sla).label("with_sla"),
        _count(and_(with_sla, breached(flt.now))).label("breached"),
        _count(Ticket.escalation_level > 0).label("escalated"),
    ).where(flt.created_in_period())).one()
    return ticket_figures(row)


def ticket_figures(row: Any) -> list[Kpi]:
    """The figures from the period's totals (created, resolved, fcr, ..., escalated, as labelled above)."""
    created, solved = int(row.created or 0), int(row.resolved or 0)
    gross, paused = float(row.gross or 0.0), float(row.paused or 0.0)
    hours = 3600.0
    return [
        Kpi("tickets_created", "Tickets created", created, Unit.COUNT,
            "count of tickets created in the period (merged duplicates excluded)"),
        Kpi("tickets_resolved", "Tickets resolved", solved, Unit.COUNT,
            "tickets created in the period that are resolved or closed now"),
        Kpi("first_contact_resolution", "First-contact resolution", ratio(row.fcr, solved), Unit.RATIO,
            "resolved tickets never reopened and answered with at most one agent reply / resolved tickets",
            row.fcr or 0, solved),
        Kpi("reopen_rate", "Reopen rate", ratio(row.reopened, solved), Unit.RATIO,
            "resolved tickets reopened at least once / resolved tickets", row.reopened or 0, solved),
        Kpi("mttr_hours", "Mean time to resolve (SLA pauses excluded)",
            ratio((gross - paused) / hours, solved), Unit.HOURS,
            "sum over resolved tickets of (resolved_at - created_at - time waiting on the customer) / resolved "
            "tickets; wall-clock hours, the final resolution after any reopen", (gross - paused) / hours, solved),
        Kpi("mttr_gross_hours", "Mean time to resolve (wall clock)", ratio(gross / hours, solved), Unit.HOURS,
            "sum over resolved tickets of (resolved_at - created_at) / resolved tickets", gross / hours, solved),
        Kpi("first_response_hours", "Mean time to first response",
            ratio(float(row.response or 0.0) / hours, row.responded), Unit.HOURS,
            "sum of (first agent reply - created_at) / tickets with a reply",
            float(row.response or 0.0) / hours, row.responded or 0),
        Kpi("sla_breach_rate", "SLA breach rate", ratio(row.breached, row.with_sla), Unit.RATIO,
            "tickets with an SLA whose first response or resolution came after its target (or is overdue now, "
            "except while waiting on the customer) / tickets with an SLA", row.breached or 0, row.with_sla or 0),
        Kpi("escalation_rate", "Escalation rate", ratio(row.escalated, created), Unit.RATIO,
            "tickets that reached escalation level 1 or higher / tickets created", row.escalated or 0, created),
    ]


def backlog(session: Session, flt: KpiFilter) -> tuple[Kpi, KpiTable]:
    """Open tickets now (in the queue/channel scope), and how old they are."""
    age_columns = []
    for low, high, label in AGE_BUCKETS:
        older = Ticket.created_at <= flt.now - timedelta(days=low)
        cond = older if high is None else and_(older, Ticket.created_at > flt.now - timedelta(days=high))
        age_columns.append(_count(cond).label(label))
    row = session.execute(select(func.count(), *age_columns)
                          .where(flt.scope(), Ticket.status.in_(list(OPEN_STATUSES)))).one()
    total = int(row[0] or 0)
    table = KpiTable("ageing", "Open tickets by age", ("age", "tickets", "share"),
                     [(label, int(row[i + 1] or 0), ratio(row[i + 1] or 0, total))
                      for i, (_, _, label) in enumerate(AGE_BUCKETS)])
    return Kpi("backlog", "Open tickets now", total, Unit.COUNT,
               "tickets new, open, in progress or waiting on the customer right now"), table


def escalations(session: Session, flt: KpiFilter) -> KpiTable:
    """Escalation notices raised on the period's tickets, by level and trigger."""
    rows = session.execute(
        select(EscalationNotice.level, EscalationNotice.trigger, func.count(),
               func.count(func.distinct(EscalationNotice.ticket_id)))
        .join(Ticket, Ticket.id == EscalationNotice.ticket_id).where(flt.created_in_period())
        .group_by(EscalationNotice.level, EscalationNotice.trigger)
        .order_by(EscalationNotice.level, EscalationNotice.trigger)).all()
    return KpiTable("escalations", "Escalations by level and trigger", ("level", "trigger", "notices", "tickets"),
                    [(int(r[0]), str(r[1]), int(r[2]), int(r[3])) for r in rows])


def by_queue(session: Session, flt: KpiFilter) -> KpiTable:
    """Per queue: created, resolved, breached and open tickets of the period."""
    rows = session.execute(
        select(func.coalesce(Queue.name, "(no queue)"), func.count(),
               _count(Ticket.resolved_at.is_not(None)),
               _count(and_(Ticket.sla_policy_id.is_not(None), breached(flt.now))),
               _count(Ticket.status.in_(list(OPEN_STATUSES))))
        .outerjoin(Queue, Queue.id == Ticket.queue_id).where(flt.created_in_period())
        .group_by(Queue.name).order_by(func.count().desc())).all()
    return KpiTable("queues", "Tickets by queue", ("queue", "created", "resolved", "sla_breached", "open"),
                    [(str(r[0]), int(r[1]), int(r[2] or 0), int(r[3] or 0), int(r[4] or 0)) for r in rows])

