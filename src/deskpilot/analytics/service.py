"""Use cases of the analytics area: the KPI report for people allowed to read it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.analytics.figures import FigureSource
from deskpilot.analytics.filters import KpiFilter
from deskpilot.analytics.report import KpiReport, build_report
from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.errors import InvalidInput
from deskpilot.tickets.enums import Channel
from deskpilot.tickets.models import Queue


def get_report(session: Session, *, actor: Principal, settings: Settings, first_day: date | None = None,
               last_day: date | None = None, queue_id: int | None = None,
               channel: Channel | None = None, figure_sources: Sequence[FigureSource] = ()) -> KpiReport:
    """Every KPI for the period (the last 30 days by default); leads, admins and auditors only.

    `figure_sources` add figures from data analytics does not read itself (the e-mail channel's)."""
    require(actor, Permission.ANALYTICS_READ)
    if queue_id is not None and session.get(Queue, queue_id) is None:
        raise InvalidInput(f"No queue with id {queue_id}.")
    flt = KpiFilter.of(now=utcnow(), first_day=first_day, last_day=last_day, queue_id=queue_id, channel=channel)
    return build_report(session, flt, settings, figure_sources)
