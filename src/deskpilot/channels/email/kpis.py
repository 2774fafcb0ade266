"""What the e-mail channel adds to the KPI report: the handling time of inbound mail to the desk's first reply.

The inbound mail table belongs to this channel, so the figure is computed here and handed to the report
(`analytics.service.get_report(..., figure_sources=FIGURES)`); analytics reads no channel's tables.
"""

from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from deskpilot.analytics.figures import FigureSource, Kpi, Unit
from deskpilot.analytics.filters import KpiFilter
from deskpilot.analytics.sql import ratio
from deskpilot.channels.email.models import InboundMail
from deskpilot.tickets.models import Ticket


def first_response(session: Session, flt: KpiFilter) -> Kpi:
    """Mean minutes from an e-mail's arrival to the desk's first reply."""
    row = session.execute(
        select(func.count(InboundMail.first_response_minutes), func.sum(InboundMail.first_response_minutes))
        .join(Ticket, Ticket.id == InboundMail.ticket_id)
        .where(and_(InboundMail.received_at >= flt.start, InboundMail.received_at < flt.end), flt.scope())).one()
    answered, minutes = int(row[0] or 0), float(row[1] or 0.0)
    return Kpi("email_first_response_minutes", "E-mail handling time to first reply", ratio(minutes, answered),
               Unit.MINUTES, "sum over answered inbound mails of (first reply - received) / answered mails",
               minutes, answered)


FIGURES: tuple[FigureSource, ...] = (first_response,)
