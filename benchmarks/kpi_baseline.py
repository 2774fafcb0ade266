"""The KPI queries as they were before the per-ticket facts (commit 5db822e), for benchmarks/kpi_scale.py.

Only the SQL is kept here: correlated per-ticket counts of agent replies and paused time, the first triage
decision per ticket joined on `subject_id = CAST(tickets.id AS text)`, feedback joined to its decision for
the kind, day buckets formatted on every row and drift reading the category from each decision's JSON.
The figures are built by the product's own functions, so the benchmark can check both give the same result.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, and_, case, cast, exists, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from deskpilot.analytics import ai_kpis, conversation_kpis, ticket_kpis
from deskpilot.analytics.ai_kpis import FINAL, AnySelect, FeedbackCounts, on_ticket
from deskpilot.analytics.drift import BINS, DriftReport, drift_from, training_profile
from deskpilot.analytics.figures import Kpi, KpiTable
from deskpilot.analytics.filters import KpiFilter
from deskpilot.analytics.sql import seconds_between
from deskpilot.analytics.trends import trend_table
from deskpilot.audit.decisions_models import AiDecision, AiFeedback
from deskpilot.audit.enums import DecisionKind, FeedbackAction
from deskpilot.config import Settings
from deskpilot.conversations.models import Conversation, ConversationMessage
from deskpilot.conversations.state import Author
from deskpilot.runbooks.models import SelfServiceRequest
from deskpilot.tickets.enums import MessageKind
from deskpilot.tickets.models import SlaPause, Ticket, TicketMessage
from deskpilot.triage.engine import CATEGORY_COMPONENT


def _count(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


class _old_day(FunctionElement[str]):  # noqa: N801 - used like a SQL function
    inherit_cache = True
    name = "old_day"


class _old_week(FunctionElement[str]):  # noqa: N801 - used like a SQL function
    inherit_cache = True
    name = "old_week"


@compiles(_old_day, "postgresql")
def _day(element: _old_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char(({compiler.process(list(element.clauses)[0], **kw)}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


@compiles(_old_week, "postgresql")
def _week(element: _old_week, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(list(element.clauses)[0], **kw)
    return f"to_char(date_trunc('week', ({column}) AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"


def _bucket(column: Any, grain: str) -> FunctionElement[str]:
    return _old_week(column) if grain == "week" else _old_day(column)


def ticket_kpis_before(session: Session, flt: KpiFilter) -> list[Kpi]:
    replies = (select(func.count()).select_from(TicketMessage)
               .where(TicketMessage.ticket_id == Ticket.id, TicketMessage.kind == MessageKind.PUBLIC_REPLY,
                      TicketMessage.author_id.is_not(None), TicketMessage.author_id != Ticket.requester_id)
               .correlate(Ticket).scalar_subquery())
    end = func.coalesce(SlaPause.resumed_at, Ticket.resolved_at)
    paused = (select(func.coalesce(func.sum(seconds_between(end, SlaPause.paused_at)), 0.0))
              .where(SlaPause.ticket_id == Ticket.id).correlate(Ticket).scalar_subquery())
    resolved, with_sla = Ticket.resolved_at.is_not(None), Ticket.sla_policy_id.is_not(None)
    row = session.execute(select(
        func.count().label("created"), _count(resolved).label("resolved"),
        _count(and_(resolved, Ticket.reopen_count == 0, replies <= 1)).label("fcr"),
        _count(and_(resolved, Ticket.reopen_count > 0)).label("reopened"),
        func.sum(case((resolved, seconds_between(Ticket.resolved_at, Ticket.created_at)))).label("gross"),
        func.sum(case((resolved, paused))).label("paused"),
        _count(Ticket.first_responded_at.is_not(None)).label("responded"),
        func.sum(seconds_between(Ticket.first_responded_at, Ticket.created_at)).label("response"),
        _count(with_sla).label("with_sla"), _count(and_(with_sla, ticket_kpis.breached(flt.now))).label("breached"),
        _count(Ticket.escalation_level > 0).label("escalated"),
    ).where(flt.created_in_period())).one()
    return ticket_kpis.ticket_figures(row)


def _feedback_in(flt: KpiFilter, query: AnySelect) -> AnySelect:
    query = query.join(AiDecision, AiDecision.id == AiFeedback.decision_id).where(
        AiFeedback.created_at >= flt.start, AiFeedback.created_at < flt.end)
    if flt.queue_id is not None or flt.channel is not None:
        query = query.join(Ticket, on_ticket()).where(flt.scope())
    return query


def feedback_table_before(session: Session, flt: KpiFilter) -> tuple[KpiTable, dict[str, FeedbackCounts]]:
    rejecting = (FeedbackAction.REJECTED, FeedbackAction.OVERRIDDEN)
    query = _feedback_in(flt, select(
        AiDecision.kind, AiFeedback.field, _count(AiFeedback.action == FeedbackAction.ACCEPTED),
        _count(AiFeedback.action == FeedbackAction.EDITED), _count(AiFeedback.action.in_(rejecting))
    ).select_from(AiFeedback)).group_by(AiDecision.kind, AiFeedback.field).order_by(AiDecision.kind, AiFeedback.field)
    return ai_kpis.feedback_figures(session.execute(query).all())


def drafts_used_before(session: Session, flt: KpiFilter) -> int:
    query = _feedback_in(flt, select(func.count(func.distinct(AiFeedback.decision_id))).select_from(AiFeedback))
    return int(session.scalar(query.where(
        AiDecision.kind == DecisionKind.DRAFT,
        AiFeedback.action.in_((FeedbackAction.ACCEPTED, FeedbackAction.EDITED)))) or 0)


def _triaged_final(flt: KpiFilter, *columns: Any) -> AnySelect:
    earlier = aliased(AiDecision)
    first = ~exists().where(earlier.subject_type == AiDecision.subject_type,
                            earlier.subject_id == AiDecision.subject_id, earlier.kind == DecisionKind.TRIAGE,
                            earlier.id < AiDecision.id)
    return (select(*columns).select_from(Ticket)
            .join(AiDecision, and_(on_ticket(), AiDecision.kind == DecisionKind.TRIAGE, first))
            .where(flt.created_in_period(), Ticket.status.in_(FINAL)))


def triage_accuracy_before(session: Session, flt: KpiFilter) -> tuple[list[Kpi], KpiTable, KpiTable]:
    category = AiDecision.outputs["category"].as_string()
    queue = AiDecision.outputs["queue_id"].as_integer()
    priority = AiDecision.outputs["priority"].as_string()
    category_made = and_(AiDecision.abstained.is_(False), category.is_not(None), Ticket.category.is_not(None))
    fields = [(category_made, and_(category_made, category == Ticket.category)),
              (queue.is_not(None), queue == Ticket.queue_id),
              (priority.is_not(None), priority == cast(Ticket.priority, String))]
    columns = [func.count(), _count(AiDecision.abstained.is_(True))]
    for made, agreed in fields:
        columns += [_count(made), _count(agreed)]
    totals = [int(v or 0) for v in session.execute(_triaged_final(flt, *columns)).one()]
    made, agreed = fields[0]
    rows = session.execute(_triaged_final(
        flt, Ticket.category, func.count(), _count(made), _count(agreed), _count(AiDecision.abstained.is_(True)))
        .where(Ticket.category.is_not(None)).group_by(Ticket.category).order_by(func.count().desc())).all()
    return ai_kpis.accuracy_figures(totals, [(str(r[0]), int(r[1]), int(r[2] or 0), int(r[3] or 0), int(r[4] or 0))
                                             for r in rows])


def trends_before(session: Session, flt: KpiFilter, grain: str) -> KpiTable:
    created = _bucket(Ticket.created_at, grain)
    tickets = {row[0]: row for row in session.execute(
        select(created, func.count(), func.sum(case((Ticket.resolved_at.is_not(None), 1), else_=0)),
               func.sum(case((Ticket.sla_policy_id.is_not(None) & ticket_kpis.breached(flt.now), 1), else_=0)))
        .where(flt.created_in_period()).group_by(created)).all()}
    given = _bucket(AiFeedback.created_at, grain)
    feedback = {row[0]: row for row in session.execute(_feedback_in(flt, select(
        given, func.count(), func.sum(case((AiFeedback.action == FeedbackAction.ACCEPTED, 1), else_=0)))
        .select_from(AiFeedback)).group_by(given)).all()}
    return trend_table(flt, grain, tickets, feedback)


def _confidence_bin(column: Any) -> ColumnElement[int]:
    return case(*[(column < (i + 1) / BINS, i) for i in range(BINS - 1)], else_=BINS - 1)


def drift_before(session: Session, flt: KpiFilter, settings: Settings) -> DriftReport | None:
    profile = training_profile(settings)
    if profile is None:
        return None

    def decisions(*columns: Any) -> AnySelect:
        return select(*columns).where(
            AiDecision.kind == DecisionKind.TRIAGE, AiDecision.created_at >= flt.start, AiDecision.created_at < flt.end,
            AiDecision.model_version.like(f"{CATEGORY_COMPONENT}:{profile.version}+%"))

    period = _bucket(AiDecision.created_at, flt.grain)
    category = AiDecision.outputs["category"].as_string()
    mix: dict[str, dict[str, float]] = {}
    for key, label, count in session.execute(decisions(period, category, func.count())
                                             .where(AiDecision.abstained.is_(False)).group_by(period, category)):
        mix.setdefault(key, {})[str(label)] = mix.setdefault(key, {}).get(str(label), 0.0) + float(count)
    conf = _confidence_bin(AiDecision.confidence)
    hist: dict[str, list[float]] = {}
    for key, index, count in session.execute(decisions(period, conf, func.count()).group_by(period, conf)):
        hist.setdefault(key, [0.0] * BINS)[int(index)] += float(count)
    return drift_from(profile, mix, hist, flt, settings)


def conversation_kpis_before(session: Session, flt: KpiFilter) -> conversation_kpis.ConversationKpis:
    def said(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
        return exists().where(ConversationMessage.conversation_id == Conversation.id, *conditions)

    handed_off = exists().where(AiDecision.subject_type == "conversation",
                                AiDecision.subject_id == cast(Conversation.id, String),
                                AiDecision.kind == DecisionKind.SUMMARY)
    person = or_(handed_off, said(ConversationMessage.author_kind == Author.AGENT),
                 Conversation.owner_agent_id.is_not(None),
                 Conversation.resolution.in_(conversation_kpis.PERSON_ENDINGS),
                 Conversation.state.in_(conversation_kpis.WITH_A_PERSON))
    reset = (literal(conversation_kpis.RESET_REF_PREFIX, String) + cast(Conversation.id, String)).in_(
        select(SelfServiceRequest.conversation_ref).where(SelfServiceRequest.conversation_ref.is_not(None)))
    started = or_(said(ConversationMessage.author_kind == Author.ASSISTANT,
                       func.json_array_length(ConversationMessage.citations) > 0),
                  reset, Conversation.resolution.in_(conversation_kpis.SELF_SERVICE))
    per = select(Conversation.id, Conversation.resolution.label("resolution"), Conversation.csat_score.label("csat"),
                 person.label("person"), handed_off.label("handed_off"), started.label("started")
                 ).where(conversation_kpis.in_scope(flt)).subquery()
    deflected = and_(per.c.resolution.in_(conversation_kpis.SELF_SERVICE), ~per.c.person)
    rated = per.c.csat.is_not(None)
    row = session.execute(select(
        func.count(), _count(deflected), _count(per.c.started), _count(and_(per.c.started, deflected)),
        _count(per.c.person), _count(and_(per.c.person, ~per.c.handed_off)),
        _count(and_(rated, ~per.c.person)), func.sum(case((~per.c.person, per.c.csat))),
        _count(and_(rated, per.c.person)), func.sum(case((per.c.person, per.c.csat))))).one()
    csat_rows = session.execute(
        select(per.c.person, per.c.resolution, func.count(), func.count(per.c.csat), func.sum(per.c.csat))
        .group_by(per.c.person, per.c.resolution)).all()
    asked, solved, begun, completed, person_in, direct, ai_rated, ai_sum, human_rated, human_sum = (
        int(v or 0) for v in row)
    tally = conversation_kpis.Tally(asked, solved, begun, completed, person_in, direct, ai_rated, ai_sum, human_rated,
                                    human_sum, [(bool(r[0]), r[1], int(r[2]), int(r[3]), int(r[4] or 0))
                                                for r in csat_rows])
    return conversation_kpis.conversation_figures(session, flt, tally)
