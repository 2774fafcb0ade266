"""Conversation KPIs: deflection, self-service completion, CSAT of chats the assistant handled alone against
chats a person took part in, and hand-offs to the desk by reason.

A conversation counts in the period it started in, on its own channel, and in its ticket's queue or, when
it has no ticket in a queue, the queue the assistant's triage routed its question to. A chat opened and left
without a word from the requester is no demand, so it counts nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, and_, case, cast, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from deskpilot.analytics.figures import Kpi, KpiTable, Unit
from deskpilot.analytics.filters import KpiFilter
from deskpilot.analytics.sql import ratio
from deskpilot.audit.decisions_models import AiDecision, DecisionKind
from deskpilot.conversations.handoff import HandoffReason, reason_code
from deskpilot.conversations.models import Conversation, ConversationMessage, Resolution
from deskpilot.conversations.state import Author, ConversationState, Owner, owner_of
from deskpilot.runbooks.models import SelfServiceRequest
from deskpilot.tickets.models import Ticket

# Endings that mean the requester's problem was solved without a person: the assistant's answer or steps,
# and (where this version has it) a runbook the requester ran through the assistant.
SELF_SERVICE = tuple(r for r in Resolution if r.value in ("self_service", "automated"))
PERSON_ENDINGS = tuple(r for r in Resolution if r.value in ("agent", "ticket"))
WITH_A_PERSON = tuple(s for s in ConversationState if owner_of(s) is Owner.HUMAN)
# How conversations/password_help.py names the conversation a self-service reset was started from.
RESET_REF_PREFIX = "conversation:"
DIRECT = "direct"
REASONS = {
    HandoffReason.REQUESTER_ASKED: "The requester asked to talk to a person.",
    HandoffReason.NO_ARTICLE: "The assistant found no approved article that answers the question.",
    HandoffReason.ANSWER_DID_NOT_HELP: "The answer did not help and its article has no steps to try.",
    HandoffReason.STEPS_EXHAUSTED: "Every troubleshooting step was tried without success.",
    HandoffReason.OTHER: "A reason the assistant words differently (see the ticket's AI summary).",
}
DIRECT_REASON = ("A person took over without the assistant's hand-off: an agent joined on their own, or a "
                 "failed self-service reset opened its own ticket.")


@dataclass(frozen=True)
class ConversationKpis:
    figures: list[Kpi]
    tables: list[KpiTable]
    deflected: int


def _message(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(ConversationMessage.conversation_id == Conversation.id, *conditions)


def _handed_off() -> ColumnElement[bool]:
    """The assistant opened a hand-off ticket: its summary decision is recorded on the conversation."""
    return exists().where(AiDecision.subject_type == "conversation",
                          AiDecision.subject_id == cast(Conversation.id, String),
                          AiDecision.kind == DecisionKind.SUMMARY)


def reached_a_person() -> ColumnElement[bool]:
    """A person took part, or was asked to: hand-off, an agent's message or ownership, a person's ending."""
    return or_(_handed_off(), _message(ConversationMessage.author_kind == Author.AGENT),
               Conversation.owner_agent_id.is_not(None), Conversation.resolution.in_(PERSON_ENDINGS),
               Conversation.state.in_(WITH_A_PERSON))


def started_self_service() -> ColumnElement[bool]:
    """The assistant gave a sourced answer or steps (its cited messages), a reset began, or self-service solved it."""
    cited = _message(ConversationMessage.author_kind == Author.ASSISTANT,
                     func.json_array_length(ConversationMessage.citations) > 0)
    # Uncorrelated IN rather than EXISTS: the reference has no index, and PostgreSQL hashes the IN list once.
    reset = (literal(RESET_REF_PREFIX, String) + cast(Conversation.id, String)).in_(
        select(SelfServiceRequest.conversation_ref).where(SelfServiceRequest.conversation_ref.is_not(None)))
    return or_(cited, reset, Conversation.resolution.in_(SELF_SERVICE))


def _queue_id() -> ColumnElement[Any]:
    ticket_queue = (select(Ticket.queue_id).where(Ticket.id == Conversation.ticket_id)
                    .correlate(Conversation).scalar_subquery())
    triage = aliased(AiDecision)
    routed = (select(triage.outputs["queue_id"].as_integer())
              .where(triage.id == Conversation.facts["triage_decision_id"].as_integer())
              .correlate(Conversation).scalar_subquery())
    return func.coalesce(ticket_queue, routed)


def in_scope(flt: KpiFilter) -> ColumnElement[bool]:
    """Conversations started in the period, on the channel and in the queue, in which the requester asked."""
    parts = [Conversation.created_at >= flt.start, Conversation.created_at < flt.end,
             _message(ConversationMessage.author_kind == Author.REQUESTER)]
    if flt.channel is not None:
        parts.append(Conversation.channel == flt.channel)
    if flt.queue_id is not None:
        parts.append(_queue_id() == flt.queue_id)
    return and_(*parts)


def _count(condition: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


def conversation_kpis(session: Session, flt: KpiFilter) -> ConversationKpis:
    """Deflection, self-service completion, hand-off rate and CSAT split, with the CSAT and hand-off tables."""
    per = select(Conversation.id, Conversation.resolution.label("resolution"), Conversation.csat_score.label("csat"),
                 reached_a_person().label("person"), _handed_off().label("handed_off"),
                 started_self_service().label("started")).where(in_scope(flt)).subquery()
    deflected = and_(per.c.resolution.in_(SELF_SERVICE), ~per.c.person)
    rated = per.c.csat.is_not(None)
    row = session.execute(select(
        func.count(), _count(deflected), _count(per.c.started), _count(and_(per.c.started, deflected)),
        _count(per.c.person), _count(and_(per.c.person, ~per.c.handed_off)),
        _count(and_(rated, ~per.c.person)), func.sum(case((~per.c.person, per.c.csat))),
        _count(and_(rated, per.c.person)), func.sum(case((per.c.person, per.c.csat))))).one()
    asked, solved, started, completed, person, direct = (int(v or 0) for v in row[:6])
    ai_rated, ai_sum, human_rated, human_sum = (int(v or 0) for v in row[6:])
    csat_rows = session.execute(
        select(per.c.person, per.c.resolution, func.count(), func.count(per.c.csat), func.sum(per.c.csat))
        .group_by(per.c.person, per.c.resolution)).all()
    figures = [
        Kpi("conversations", "Chat conversations", asked, Unit.COUNT,
            "conversations started in the period in which the requester asked something"),
        Kpi("deflection_rate", "Deflection rate", ratio(solved, asked), Unit.RATIO,
            "conversations solved by self-service (the assistant's answer or steps, or a runbook the requester "
            "ran) that no person took part in / conversations", solved, asked),
        Kpi("self_service_completion_rate", "Self-service completion", ratio(completed, started), Unit.RATIO,
            "conversations that started self-service and were solved by it with no person / conversations in "
            "which the assistant gave a sourced answer or troubleshooting steps, or a self-service reset began",
            completed, started),
        Kpi("handoff_rate", "Conversations handed to a person", ratio(person, asked), Unit.RATIO,
            "conversations a person took part in or was asked to (hand-off ticket, an agent joined or replied, "
            "ended by an agent or as a ticket, waiting for a person) / conversations", person, asked),
        Kpi("csat_ai_handled", "CSAT, handled by the assistant alone (1-5)", ratio(ai_sum, ai_rated), Unit.SCORE,
            "sum of ratings / rated conversations no person took part in (solved, withdrawn or still open)",
            ai_sum, ai_rated),
        Kpi("csat_human_handled", "CSAT, a person took part (1-5)", ratio(human_sum, human_rated), Unit.SCORE,
            "sum of ratings / rated conversations a person took part in or was asked to", human_sum, human_rated),
    ]
    tables = [_csat_table(csat_rows), handoff_table(session, flt, direct=direct)]
    return ConversationKpis(figures, tables, solved)


def _csat_table(rows: Any) -> KpiTable:
    endings = [r.value for r in Resolution]
    result = sorted(
        ((("a person" if person else "assistant only"), resolution.value if resolution else "open", int(count),
          int(rated), ratio(scores, rated)) for person, resolution, count, rated, scores in rows),
        key=lambda r: (r[0] != "assistant only", endings.index(r[1]) if r[1] in endings else len(endings)))
    return KpiTable("conversation_csat", "Conversations and CSAT by who handled them and how they ended",
                    ("handled_by", "ended_as", "conversations", "rated", "csat_average"), result)


def handoff_table(session: Session, flt: KpiFilter, *, direct: int) -> KpiTable:
    """Hand-offs of the period's conversations by reason, and conversations a person took over directly."""
    code = AiDecision.outputs["reason_code"].as_string()
    # Summaries recorded before reason codes existed are grouped by their wording and read back below.
    wording = case((code.is_(None), AiDecision.outputs["reason"].as_string()))
    rows = session.execute(
        select(code, wording, func.count(), func.count(func.distinct(Conversation.id))).select_from(AiDecision)
        .join(Conversation, AiDecision.subject_id == cast(Conversation.id, String))
        .where(AiDecision.subject_type == "conversation", AiDecision.kind == DecisionKind.SUMMARY, in_scope(flt))
        .group_by(code, wording)).all()
    counts: dict[str, list[int]] = {reason.value: [0, 0] for reason in HandoffReason}
    for stored, text, hand_offs, conversations in rows:
        key = str(stored) if stored else reason_code(str(text or "")).value
        total = counts.setdefault(key, [0, 0])
        total[0] += int(hand_offs)
        total[1] += int(conversations)
    counts[DIRECT] = [direct, direct]
    everything = sum(c[0] for c in counts.values())
    labels: dict[str, str] = {reason.value: text for reason, text in REASONS.items()} | {DIRECT: DIRECT_REASON}
    return KpiTable("handoff_reasons", "Conversations handed to a person, by reason",
                    ("reason", "description", "hand_offs", "conversations", "share"),
                    [(key, labels.get(key, "(a reason this version does not describe)"), n, people,
                      ratio(n, everything)) for key, (n, people) in counts.items()])
