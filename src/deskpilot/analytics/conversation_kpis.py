"""Conversation KPIs: deflection, self-service completion, CSAT of chats the assistant handled alone against
chats a person took part in, and hand-offs to the desk by reason.

A conversation counts in the period it started in, on its own channel, and in its ticket's queue or, when
it has no ticket in a queue, the queue the assistant's triage routed its question to. A chat opened and left
without a word from the requester is no demand, so it counts nowhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, and_, case, cast, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import Select, Subquery
from sqlalchemy.sql.elements import ColumnElement

from deskpilot.analytics.figures import Kpi, KpiTable, Unit
from deskpilot.analytics.filters import KpiFilter
from deskpilot.analytics.sql import ratio
from deskpilot.audit.decisions_models import AiDecision
from deskpilot.audit.enums import DecisionKind
from deskpilot.conversations.enums import Resolution
from deskpilot.conversations.handoff import HandoffReason, reason_code
from deskpilot.conversations.models import Conversation, ConversationMessage
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
    HandoffReason.STEPS_FAILED: "Several troubleshooting steps failed and the requester chose a ticket.",
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


def _reset_started(conversation_id: ColumnElement[int]) -> ColumnElement[bool]:
    """A self-service password reset was started from the conversation."""
    # Uncorrelated IN rather than EXISTS: the reference has no index, and PostgreSQL hashes the IN list once.
    return (literal(RESET_REF_PREFIX, String) + cast(conversation_id, String)).in_(
        select(SelfServiceRequest.conversation_ref).where(SelfServiceRequest.conversation_ref.is_not(None)))


def _handed_off(conversation_id: ColumnElement[int]) -> ColumnElement[bool]:
    """The assistant opened a hand-off ticket: its summary decision is recorded on the conversation."""
    return cast(conversation_id, String).in_(select(AiDecision.subject_id).where(
        AiDecision.subject_type == "conversation", AiDecision.kind == DecisionKind.SUMMARY,
        AiDecision.subject_id.is_not(None)))


def _seen(*conditions: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.max(case((and_(*conditions), 1), else_=0))


def _conversations(flt: KpiFilter) -> Subquery:
    """The conversations in scope, one row each, with what their messages show: an agent wrote, the assistant
    cited a source.

    One grouped pass over the period's conversations and their messages: as correlated EXISTS per
    conversation and figure, the same messages were looked up a dozen times per conversation.
    """
    message = ConversationMessage
    columns = (Conversation.id, Conversation.resolution, Conversation.csat_score, Conversation.owner_agent_id,
               Conversation.state)
    return (select(*columns, _seen(message.author_kind == Author.AGENT).label("agent"),
                   _seen(message.author_kind == Author.ASSISTANT,
                         func.json_array_length(message.citations) > 0).label("cited"))
            .join(message, message.conversation_id == Conversation.id).where(_in_filter(flt))
            .group_by(*columns).having(_seen(message.author_kind == Author.REQUESTER) == 1).subquery())


def _outcomes(flt: KpiFilter) -> Select[Any]:
    """Conversations in scope counted (with their ratings) by: a person took part, the assistant handed off,
    self-service started, and how it ended."""
    c = _conversations(flt)
    # A person took part, or was asked to: hand-off, an agent's message or ownership, a person's ending.
    person = or_(_handed_off(c.c.id), c.c.agent == 1, c.c.owner_agent_id.is_not(None),
                 c.c.resolution.in_(PERSON_ENDINGS), c.c.state.in_(WITH_A_PERSON))
    # The assistant gave a sourced answer or steps (its cited messages), a reset began, or self-service solved it.
    started = or_(c.c.cited == 1, _reset_started(c.c.id), c.c.resolution.in_(SELF_SERVICE))
    per = select(person.label("person"), _handed_off(c.c.id).label("handed_off"), started.label("started"),
                 c.c.resolution, c.c.csat_score.label("csat")).subquery()
    keys = (per.c.person, per.c.handed_off, per.c.started, per.c.resolution)
    return select(*keys, func.count(), func.count(per.c.csat), func.sum(per.c.csat)).group_by(*keys)


def _queue_id() -> ColumnElement[Any]:
    ticket_queue = (select(Ticket.queue_id).where(Ticket.id == Conversation.ticket_id)
                    .correlate(Conversation).scalar_subquery())
    triage = aliased(AiDecision)
    routed = (select(triage.outputs["queue_id"].as_integer())
              .where(triage.id == Conversation.facts["triage_decision_id"].as_integer())
              .correlate(Conversation).scalar_subquery())
    return func.coalesce(ticket_queue, routed)


def _in_filter(flt: KpiFilter) -> ColumnElement[bool]:
    """Conversations started in the period, on the channel and in the queue."""
    parts = [Conversation.created_at >= flt.start, Conversation.created_at < flt.end]
    if flt.channel is not None:
        parts.append(Conversation.channel == flt.channel)
    if flt.queue_id is not None:
        parts.append(_queue_id() == flt.queue_id)
    return and_(*parts)


def in_scope(flt: KpiFilter) -> ColumnElement[bool]:
    """Conversations started in the period, on the channel and in the queue, in which the requester asked."""
    return and_(_in_filter(flt), _message(ConversationMessage.author_kind == Author.REQUESTER))


@dataclass(frozen=True)
class Tally:
    """Counts of the period's conversations the figures are built from."""

    asked: int
    solved: int
    started: int
    completed: int
    person: int
    direct: int
    ai_rated: int
    ai_sum: int
    human_rated: int
    human_sum: int
    # (a person took part, how it ended, conversations, rated ones, sum of ratings)
    csat_rows: list[tuple[bool, Resolution | None, int, int, int]]


def _tally(groups: Sequence[Any]) -> Tally:
    """Sum the (person, handed_off, started, resolution, conversations, rated, ratings) groups up."""
    def total(column: int, where: Callable[[Any], bool] = lambda _: True) -> int:
        return sum(int(g[column] or 0) for g in groups if where(g))

    def deflected(g: Any) -> bool:
        return g.resolution in SELF_SERVICE and not g.person

    def nobody(g: Any) -> bool:
        # A conversation still open with nobody has person NULL (its resolution IN (...) is NULL): no person
        # took part, so its rating counts as the assistant's, as the formula and the CSAT table say.
        return not g.person

    csat: dict[tuple[bool, Resolution | None], list[int]] = {}
    for g in groups:
        counts = csat.setdefault((bool(g.person), g.resolution), [0, 0, 0])
        for i in range(3):
            counts[i] += int(g[4 + i] or 0)
    return Tally(total(4), total(4, deflected), total(4, lambda g: g.started),
                 total(4, lambda g: g.started and deflected(g)), total(4, lambda g: g.person),
                 total(4, lambda g: g.person and not g.handed_off), total(5, nobody), total(6, nobody),
                 total(5, lambda g: g.person), total(6, lambda g: g.person),
                 [(person, resolution, n, rated, scores) for (person, resolution), (n, rated, scores) in csat.items()])


def conversation_kpis(session: Session, flt: KpiFilter) -> ConversationKpis:
    """Deflection, self-service completion, hand-off rate and CSAT split, with the CSAT and hand-off tables."""
    return conversation_figures(session, flt, _tally(session.execute(_outcomes(flt)).all()))


def conversation_figures(session: Session, flt: KpiFilter, tally: Tally) -> ConversationKpis:
    """The figures from the tally, with the CSAT table and the hand-offs by reason."""
    t = tally
    figures = [
        Kpi("conversations", "Chat conversations", t.asked, Unit.COUNT,
            "conversations started in the period in which the requester asked something"),
        Kpi("deflection_rate", "Deflection rate", ratio(t.solved, t.asked), Unit.RATIO,
            "conversations solved by self-service (the assistant's answer or steps, or a runbook the requester "
            "ran) that no person took part in / conversations", t.solved, t.asked),
        Kpi("self_service_completion_rate", "Self-service completion", ratio(t.completed, t.started), Unit.RATIO,
            "conversations that started self-service and were solved by it with no person / conversations in "
            "which the assistant gave a sourced answer or troubleshooting steps, or a self-service reset began",
            t.completed, t.started),
        Kpi("handoff_rate", "Conversations handed to a person", ratio(t.person, t.asked), Unit.RATIO,
            "conversations a person took part in or was asked to (hand-off ticket, an agent joined or replied, "
            "ended by an agent or as a ticket, waiting for a person) / conversations", t.person, t.asked),
        Kpi("csat_ai_handled", "CSAT, handled by the assistant alone (1-5)", ratio(t.ai_sum, t.ai_rated),
            Unit.SCORE, "sum of ratings / rated conversations no person took part in (solved, withdrawn or still "
            "open)", t.ai_sum, t.ai_rated),
        Kpi("csat_human_handled", "CSAT, a person took part (1-5)", ratio(t.human_sum, t.human_rated), Unit.SCORE,
            "sum of ratings / rated conversations a person took part in or was asked to", t.human_sum,
            t.human_rated),
    ]
    tables = [_csat_table(t.csat_rows), handoff_table(session, flt, direct=t.direct)]
    return ConversationKpis(figures, tables, t.solved)


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
