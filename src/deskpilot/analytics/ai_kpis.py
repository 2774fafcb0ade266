"""AI KPIs: what agents did with suggestions (accepted / edited / rejected) and how often triage agreed with
the values agents finally kept, per field and per category."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, and_, case, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from deskpilot.analytics.figures import Kpi, KpiTable, Unit
from deskpilot.analytics.filters import KpiFilter
from deskpilot.analytics.sql import ratio
from deskpilot.audit.decisions_models import AiDecision, AiFeedback
from deskpilot.audit.enums import DecisionKind, FeedbackAction
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
    """Feedback given in the period; on the queue's and channel's tickets only when the filter names them.

    Each feedback row carries its decision's kind, so the decisions are joined only to reach their tickets.
    """
    query = query.where(AiFeedback.created_at >= flt.start, AiFeedback.created_at < flt.end)
    if flt.queue_id is not None or flt.channel is not None:
        query = (query.join(AiDecision, AiDecision.id == AiFeedback.decision_id).join(Ticket, on_ticket())
                 .where(flt.scope()))
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
    kind = AiFeedback.decision_kind
    query = feedback_in(flt, select(
        kind, AiFeedback.field, _count(AiFeedback.action == FeedbackAction.ACCEPTED),
        _count(AiFeedback.action == FeedbackAction.EDITED), _count(AiFeedback.action.in_(_REJECTING))
    ).select_from(AiFeedback)).group_by(kind, AiFeedback.field).order_by(kind, AiFeedback.field)
    return feedback_figures(session.execute(query).all())


def feedback_figures(groups: Sequence[Any]) -> tuple[KpiTable, dict[str, FeedbackCounts]]:
    """The table and the counts per kind from (kind, field, accepted, edited, rejected) groups."""
    rows, per_kind = [], dict[str, FeedbackCounts]()
    for kind, field, accepted, edited, rejected in groups:
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


def _agreement() -> dict[str, tuple[ColumnElement[bool], ColumnElement[bool]]]:
    """Per field: (the intake triage made a suggestion, the suggestion equals the final value)."""
    category_made = and_(Ticket.intake_abstained.is_(False), Ticket.intake_category.is_not(None),
                         Ticket.category.is_not(None))
    return {
        "category": (category_made, and_(category_made, Ticket.intake_category == Ticket.category)),
        "queue": (Ticket.intake_queue_id.is_not(None), Ticket.intake_queue_id == Ticket.queue_id),
        "priority": (Ticket.intake_priority.is_not(None), Ticket.intake_priority == cast(Ticket.priority, String)),
    }


def triage_accuracy(session: Session, flt: KpiFilter) -> tuple[list[Kpi], KpiTable, KpiTable]:
    """Agreement of the first (intake) triage with the values resolved tickets ended with.

    One pass over the period's resolved tickets, grouped by final category: the per-field figures are the
    sums over all groups, the per-category table is the groups that have a category.
    """
    columns = [func.count(), _count(Ticket.intake_abstained.is_(True))]
    for made, agreed in _agreement().values():
        columns += [_count(made), _count(agreed)]
    groups = session.execute(
        select(Ticket.category, *columns)
        .where(flt.created_in_period(), Ticket.status.in_(FINAL), Ticket.intake_triage_id.is_not(None))
        .group_by(Ticket.category)).all()
    totals = [sum(int(group[i] or 0) for group in groups) for i in range(1, len(columns) + 1)]
    # Per category: tickets, the category field's suggested and agreed counts, abstentions.
    by_category = [(str(g[0]), int(g[1]), int(g[3] or 0), int(g[4] or 0), int(g[2] or 0)) for g in groups
                   if g[0] is not None]
    return accuracy_figures(totals, by_category)


def accuracy_figures(totals: Sequence[int], by_category: list[tuple[str, int, int, int, int]]
                     ) -> tuple[list[Kpi], KpiTable, KpiTable]:
    """The figures from the totals (triaged, abstained, then suggested and agreed per field in `_agreement`
    order) and the per-category counts (category, tickets, suggested, agreed, abstained)."""
    triaged, abstained = totals[0], totals[1]
    per_field, kpis = [], []
    for i, name in enumerate(_agreement()):
        suggested, kept = totals[2 + 2 * i], totals[3 + 2 * i]
        per_field.append((name, suggested, kept, ratio(kept, suggested)))
        kpis.append(Kpi(f"triage_accuracy_{name}", f"Triage {name} agreed with the agents", ratio(kept, suggested),
                        Unit.RATIO, f"resolved tickets whose intake triage {name} equals the final {name} / "
                                    f"resolved tickets triage suggested a {name} for", kept, suggested))
    kpis.append(Kpi("triage_abstention_rate", "Triage abstained (left to a person)", ratio(abstained, triaged),
                    Unit.RATIO, "resolved tickets whose intake triage abstained / triaged resolved tickets",
                    abstained, triaged))
    field_table = KpiTable("triage_accuracy", "Triage agreement with the final values, per field",
                           ("field", "suggested", "agreed", "accuracy"), per_field)
    category_table = KpiTable(
        "triage_accuracy_by_category", "Triage category agreement, per final category",
        ("category", "tickets", "suggested", "agreed", "abstained", "accuracy"),
        [(category, tickets, suggested, agreed, abstained_here, ratio(agreed, suggested))
         for category, tickets, suggested, agreed, abstained_here in sorted(by_category, key=lambda r: (-r[1], r[0]))])
    return kpis, field_table, category_table


def drafts_used(session: Session, flt: KpiFilter) -> int:
    """Draft decisions in the period that agents sent as they were or after editing."""
    query = feedback_in(flt, select(func.count(func.distinct(AiFeedback.decision_id))).select_from(AiFeedback))
    return int(session.scalar(query.where(
        AiFeedback.decision_kind == DecisionKind.DRAFT,
        AiFeedback.action.in_((FeedbackAction.ACCEPTED, FeedbackAction.EDITED)))) or 0)


def corrections_learned(session: Session, flt: KpiFilter) -> Kpi:
    """Triage categories agents corrected in the period: each one is kept as an example triage consults at
    once (triage/corrections.py, written in the same step as this feedback)."""
    query = select(func.count()).select_from(AiFeedback).where(
        AiFeedback.decision_kind == DecisionKind.TRIAGE, AiFeedback.field == "category",
        AiFeedback.action == FeedbackAction.OVERRIDDEN, AiFeedback.final_value.is_not(None),
        AiFeedback.final_value != "")
    count = float(session.scalar(feedback_in(flt, query)) or 0)
    return Kpi("triage_corrections_learned", "Category corrections triage learned from", count, Unit.COUNT,
               "triage categories agents corrected in the period; triage consults each at once as an example "
               "and the next retrain learns it", count)
