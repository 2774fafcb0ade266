"""AI KPIs: what agents did with suggestions (accepted / edited / rejected) and how often triage agreed with
the values agents finally kept, per field and per category."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, and_, case, cast, exists, func, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from deskpilot.analytics.figures import Kpi, KpiTable, Unit
from deskpilot.analytics.filters import KpiFilter
from deskpilot.analytics.sql import ratio
from deskpilot.audit.decisions_models import AiDecision, AiFeedback, DecisionKind, FeedbackAction
from deskpilot.tickets.enums import TicketStatus
from deskpilot.tickets.models import Ticket

# An override of a triage field is the agent rejecting that suggestion.
_REJECTING = (FeedbackAction.REJECTED, FeedbackAction.OVERRIDDEN)
FINAL = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


def _count(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


def on_ticket() -> ColumnElement[bool]:
    """Join condition: a decision made about a ticket."""
    return and_(AiDecision.subject_type == "ticket", AiDecision.subject_id == cast(Ticket.id, String))


AnySelect = Select[*tuple[Any, ...]]


def feedback_in(flt: KpiFilter, query: AnySelect) -> AnySelect:
    query = query.join(AiDecision, AiDecision.id == AiFeedback.decision_id).where(
        AiFeedback.created_at >= flt.start, AiFeedback.created_at < flt.end)
    if flt.queue_id is not None or flt.channel is not None:
        query = query.join(Ticket, on_ticket()).where(flt.scope())
    return query


@dataclass(frozen=True)
class FeedbackCounts:
    accepted: int
    edited: int
    rejected: int

    @property
    def total(self) -> int:
        return self.accepted + self.edited + self.rejected


def feedback_table(session: Session, flt: KpiFilter) -> tuple[KpiTable, dict[str, FeedbackCounts]]:
    """Feedback given in the period, per decision kind and field."""
    query = feedback_in(flt, select(
        AiDecision.kind, AiFeedback.field, _count(AiFeedback.action == FeedbackAction.ACCEPTED),
        _count(AiFeedback.action == FeedbackAction.EDITED), _count(AiFeedback.action.in_(_REJECTING))
    ).select_from(AiFeedback)).group_by(AiDecision.kind, AiFeedback.field).order_by(AiDecision.kind, AiFeedback.field)
    rows, per_kind = [], dict[str, FeedbackCounts]()
    for kind, field, accepted, edited, rejected in session.execute(query).all():
        counts = FeedbackCounts(int(accepted or 0), int(edited or 0), int(rejected or 0))
        rows.append((str(kind), field, counts.accepted, counts.edited, counts.rejected,
                     ratio(counts.accepted, counts.total), ratio(counts.edited, counts.total),
                     ratio(counts.rejected, counts.total)))
        previous = per_kind.get(str(kind), FeedbackCounts(0, 0, 0))
        per_kind[str(kind)] = FeedbackCounts(previous.accepted + counts.accepted, previous.edited + counts.edited,
                                             previous.rejected + counts.rejected)
    table = KpiTable("ai_feedback", "What agents did with AI suggestions",
                     ("kind", "field", "accepted", "edited", "rejected", "acceptance_rate", "edit_rate",
                      "rejection_rate"), rows)
    return table, per_kind


def feedback_kpis(per_kind: dict[str, FeedbackCounts]) -> list[Kpi]:
    accepted = sum(c.accepted for c in per_kind.values())
    edited = sum(c.edited for c in per_kind.values())
    rejected = sum(c.rejected for c in per_kind.values())
    total = accepted + edited + rejected
    return [
        Kpi("ai_acceptance_rate", "AI suggestions accepted as they were", ratio(accepted, total), Unit.RATIO,
            "feedback 'accepted' / all feedback on AI suggestions (triage fields, drafts, answers) in the period",
            accepted, total),
        Kpi("ai_edit_rate", "AI suggestions edited before use", ratio(edited, total), Unit.RATIO,
            "feedback 'edited' / all feedback on AI suggestions", edited, total),
        Kpi("ai_rejection_rate", "AI suggestions rejected or overridden", ratio(rejected, total), Unit.RATIO,
            "feedback 'rejected' or 'overridden' / all feedback on AI suggestions", rejected, total),
    ]


def _is_first_triage() -> ColumnElement[bool]:
    """The decision is the ticket's first (intake) triage: no earlier triage decision on the same ticket.

    An anti-join rather than `id = (SELECT min(id) ...)`: PostgreSQL cannot drive an index with a correlated
    scalar in a join condition and fell back to comparing every ticket with every decision.
    """
    earlier = aliased(AiDecision)
    return ~exists().where(earlier.subject_type == AiDecision.subject_type, earlier.subject_id == AiDecision.subject_id,
                           earlier.kind == DecisionKind.TRIAGE, earlier.id < AiDecision.id)


def _agreement() -> dict[str, tuple[ColumnElement[bool], ColumnElement[bool]]]:
    """Per field: (the AI made a suggestion, the suggestion equals the final value)."""
    suggested_category = AiDecision.outputs["category"].as_string()
    suggested_queue = AiDecision.outputs["queue_id"].as_integer()
    suggested_priority = AiDecision.outputs["priority"].as_string()
    category_made = and_(AiDecision.abstained.is_(False), suggested_category.is_not(None),
                         Ticket.category.is_not(None))
    return {
        "category": (category_made, and_(category_made, suggested_category == Ticket.category)),
        "queue": (suggested_queue.is_not(None), suggested_queue == Ticket.queue_id),
        "priority": (suggested_priority.is_not(None), suggested_priority == cast(Ticket.priority, String)),
    }


def _triaged_final(flt: KpiFilter, *columns: Any) -> AnySelect:
    return (select(*columns).select_from(Ticket)
            .join(AiDecision, and_(on_ticket(), AiDecision.kind == DecisionKind.TRIAGE, _is_first_triage()))
            .where(flt.created_in_period(), Ticket.status.in_(FINAL)))


def triage_accuracy(session: Session, flt: KpiFilter) -> tuple[list[Kpi], KpiTable, KpiTable]:
    """Agreement of the first (intake) triage with the values resolved tickets ended with."""
    fields = _agreement()
    columns = [func.count(), _count(AiDecision.abstained.is_(True))]
    for made, agreed in fields.values():
        columns += [_count(made), _count(agreed)]
    row = session.execute(_triaged_final(flt, *columns)).one()
    triaged, abstained = int(row[0] or 0), int(row[1] or 0)
    per_field, kpis = [], []
    for i, name in enumerate(fields):
        suggested, kept = int(row[2 + 2 * i] or 0), int(row[3 + 2 * i] or 0)
        per_field.append((name, suggested, kept, ratio(kept, suggested)))
        kpis.append(Kpi(f"triage_accuracy_{name}", f"Triage {name} agreed with the agents", ratio(kept, suggested),
                        Unit.RATIO, f"resolved tickets whose intake triage {name} equals the final {name} / "
                                    f"resolved tickets triage suggested a {name} for", kept, suggested))
    kpis.append(Kpi("triage_abstention_rate", "Triage abstained (left to a person)", ratio(abstained, triaged),
                    Unit.RATIO, "resolved tickets whose intake triage abstained / triaged resolved tickets",
                    abstained, triaged))
    made, agreed = fields["category"]
    by_category = session.execute(_triaged_final(
        flt, Ticket.category, func.count(), _count(made), _count(agreed), _count(AiDecision.abstained.is_(True)))
        .where(Ticket.category.is_not(None)).group_by(Ticket.category).order_by(func.count().desc())).all()
    field_table = KpiTable("triage_accuracy", "Triage agreement with the final values, per field",
                           ("field", "suggested", "agreed", "accuracy"), per_field)
    category_table = KpiTable(
        "triage_accuracy_by_category", "Triage category agreement, per final category",
        ("category", "tickets", "suggested", "agreed", "abstained", "accuracy"),
        [(str(r[0]), int(r[1]), int(r[2] or 0), int(r[3] or 0), int(r[4] or 0), ratio(r[3] or 0, r[2] or 0))
         for r in by_category])
    return kpis, field_table, category_table


def drafts_used(session: Session, flt: KpiFilter) -> int:
    """Draft decisions in the period that agents sent as they were or after editing."""
    query = feedback_in(flt, select(func.count(func.distinct(AiFeedback.decision_id))).select_from(AiFeedback))
    return int(session.scalar(query.where(
        AiDecision.kind == DecisionKind.DRAFT,
        AiFeedback.action.in_((FeedbackAction.ACCEPTED, FeedbackAction.EDITED)))) or 0)
