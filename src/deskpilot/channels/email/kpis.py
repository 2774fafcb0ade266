"""What the e-mail channel adds to the KPI report: the handling time of inbound mail to the desk's first reply,
and the agent minutes per e-mail (from opening the ticket to replying), with and without an AI draft.

The inbound mail table belongs to this channel, so the figure is computed here and handed to the report
(`analytics.service.get_report(..., figure_sources=FIGURES)`); analytics reads no channel's tables.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from deskpilot.analytics.figures import FigureSource, Kpi, Unit
from deskpilot.analytics.filters import KpiFilter
from deskpilot.analytics.sql import ratio
from deskpilot.channels.email.models import InboundMail
from deskpilot.tickets.enums import Channel, MessageKind
from deskpilot.tickets.models import Ticket, TicketMessage, TicketWorkStart


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


@dataclass(frozen=True)
class _Handled:
    minutes: float
    ai_assisted: bool


def _agent_replies(session: Session, flt: KpiFilter) -> list[_Handled]:
    """Each agent reply on an e-mail ticket in the period that the agent started from the console: the minutes
    from their latest start on the ticket (after the message before the reply) to the reply."""
    replies = session.execute(
        select(TicketMessage.id, TicketMessage.ticket_id, TicketMessage.author_id, TicketMessage.created_at,
               TicketMessage.ai_assisted)
        .join(Ticket, Ticket.id == TicketMessage.ticket_id)
        .where(TicketMessage.kind == MessageKind.PUBLIC_REPLY, TicketMessage.author_id.is_not(None),
               TicketMessage.author_id != Ticket.requester_id, Ticket.channel == Channel.EMAIL,
               TicketMessage.created_at >= flt.start, TicketMessage.created_at < flt.end, flt.scope())).all()
    if not replies:
        return []
    ticket_ids = {r.ticket_id for r in replies}
    starts: dict[tuple[int, int], list[datetime]] = defaultdict(list)
    for ticket_id, agent_id, started_at in session.execute(select(
            TicketWorkStart.ticket_id, TicketWorkStart.agent_id, TicketWorkStart.started_at)
            .where(TicketWorkStart.ticket_id.in_(ticket_ids))):
        starts[(ticket_id, agent_id)].append(started_at)
    thread: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for message_id, ticket_id, created_at in session.execute(select(
            TicketMessage.id, TicketMessage.ticket_id, TicketMessage.created_at)
            .where(TicketMessage.ticket_id.in_(ticket_ids), TicketMessage.kind == MessageKind.PUBLIC_REPLY)):
        thread[ticket_id].append((message_id, created_at))
    handled = []
    for reply in replies:
        before = [at for mid, at in thread[reply.ticket_id] if mid < reply.id]
        floor = max(before) if before else None
        opened = [at for at in starts[(reply.ticket_id, reply.author_id)]
                  if at <= reply.created_at and (floor is None or at >= floor)]
        if opened:
            minutes = (reply.created_at - max(opened)).total_seconds() / 60
            handled.append(_Handled(minutes, bool(reply.ai_assisted)))
    return handled


def _minutes_kpi(key: str, label: str, handled: list[_Handled], formula: str) -> Kpi:
    total = sum(h.minutes for h in handled)
    return Kpi(key, label, ratio(total, len(handled)), Unit.MINUTES, formula, total, len(handled))


def agent_minutes(session: Session, flt: KpiFilter) -> Kpi:
    """Mean agent minutes per e-mail reply: from opening the ticket in the console to sending the reply."""
    return _minutes_kpi("email_agent_minutes", "Agent minutes per e-mail", _agent_replies(session, flt),
                        "sum over agent replies to e-mail of (reply - agent opened the ticket) / replies")


def agent_minutes_with_draft(session: Session, flt: KpiFilter) -> Kpi:
    """The same, for replies sent from an AI draft (AI-assisted)."""
    return _minutes_kpi("email_agent_minutes_ai_draft", "Agent minutes per e-mail, with an AI draft",
                        [h for h in _agent_replies(session, flt) if h.ai_assisted],
                        "as email_agent_minutes, over AI-assisted replies only")


def agent_minutes_without_draft(session: Session, flt: KpiFilter) -> Kpi:
    """The same, for replies written without an AI draft."""
    return _minutes_kpi("email_agent_minutes_no_draft", "Agent minutes per e-mail, without an AI draft",
                        [h for h in _agent_replies(session, flt) if not h.ai_assisted],
                        "as email_agent_minutes, over replies written without an AI draft")


FIGURES: tuple[FigureSource, ...] = (first_response, agent_minutes, agent_minutes_with_draft,
                                     agent_minutes_without_draft)
