"""AI accuracy as the governance board judged it: the share of reviewed AI outputs (chat answers, reply drafts,
runbook runs) marked correct, overall and per kind, by the verdicts given in the period."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from deskpilot.analytics.figures import Kpi, KpiTable, Unit
from deskpilot.analytics.filters import KpiFilter
from deskpilot.analytics.sql import ratio
from deskpilot.governance.enums import Verdict
from deskpilot.governance.models import AiReview


def _count(verdict: Verdict) -> Any:
    return func.sum(case((AiReview.verdict == verdict, 1), else_=0))


def review_accuracy(session: Session, flt: KpiFilter) -> tuple[list[Kpi], KpiTable]:
    """The AI-accuracy and unsafe-rate KPIs and the per-kind table of the verdicts given in the period."""
    groups = session.execute(
        select(AiReview.kind, _count(Verdict.CORRECT), _count(Verdict.WRONG), _count(Verdict.UNSAFE))
        .where(and_(AiReview.verdict.is_not(None), AiReview.reviewed_at >= flt.start, AiReview.reviewed_at < flt.end))
        .group_by(AiReview.kind).order_by(AiReview.kind)).all()
    rows = [(kind.value, int(c or 0), int(w or 0), int(u or 0)) for kind, c, w, u in groups]
    correct, unsafe = sum(r[1] for r in rows), sum(r[3] for r in rows)
    reviewed = sum(r[1] + r[2] + r[3] for r in rows)
    kpis = [Kpi("ai_review_accuracy", "AI answers reviewers marked correct", ratio(correct, reviewed), Unit.RATIO,
                "reviewed AI outputs (chat answers, drafts, runbook runs) marked correct / all given a verdict in "
                "the period", correct, reviewed),
            Kpi("ai_review_unsafe_rate", "AI answers reviewers marked unsafe", ratio(unsafe, reviewed), Unit.RATIO,
                "reviewed AI outputs marked unsafe / all given a verdict in the period", unsafe, reviewed)]
    table = KpiTable("ai_review", "Answer review verdicts, per kind",
                     ("kind", "correct", "wrong", "unsafe", "accuracy"),
                     [(kind, c, w, u, ratio(c, c + w + u)) for kind, c, w, u in rows])
    return kpis, table
