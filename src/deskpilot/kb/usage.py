"""How much each article is used: the assistant's answers that cited it (its AI decision records)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.audit.decisions_models import AiDecision
from deskpilot.audit.enums import DecisionKind

# Enough recent answers for a useful count, few enough that the list page reads them in milliseconds.
RECENT_ANSWERS = 5_000


def citation_counts(session: Session, *, since: datetime) -> Counter[str]:
    """slug → how many of the assistant's answers since `since` cited it (the most recent RECENT_ANSWERS)."""
    query = (select(AiDecision.sources)
             .where(AiDecision.kind == DecisionKind.ANSWER, AiDecision.abstained.is_(False),
                    AiDecision.created_at >= since)
             .order_by(AiDecision.id.desc()).limit(RECENT_ANSWERS))
    counts: Counter[str] = Counter()
    for sources in session.scalars(query):
        slugs = {s.get("slug") for s in sources or [] if isinstance(s, dict)}
        counts.update(slug for slug in slugs if isinstance(slug, str))
    return counts
