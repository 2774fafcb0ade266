"""Help-centre KPIs: the share of "was this helpful?" answers that said yes."""

from __future__ import annotations

from sqlalchemy import Integer, and_, cast, func, select
from sqlalchemy.orm import Session

from deskpilot.analytics.figures import Kpi, Unit
from deskpilot.analytics.filters import KpiFilter
from deskpilot.analytics.sql import ratio
from deskpilot.kb.models import KbArticle, KbArticleFeedback


def help_centre_helpful(session: Session, flt: KpiFilter) -> Kpi:
    """Helpful answers / all answers given in the period (on articles of the filtered queue, when one is)."""
    query = (select(func.count(), func.sum(cast(KbArticleFeedback.helpful, Integer)))
             .join(KbArticle, KbArticle.id == KbArticleFeedback.article_id)
             .where(and_(KbArticleFeedback.created_at >= flt.start, KbArticleFeedback.created_at < flt.end)))
    if flt.queue_id is not None:
        query = query.where(KbArticle.queue_id == flt.queue_id)
    answers, helpful = session.execute(query).one()
    answers, helpful = int(answers or 0), int(helpful or 0)
    return Kpi("help_centre_helpful_rate", "Help-centre articles found helpful", ratio(helpful, answers), Unit.RATIO,
               "help-centre answers \"yes, it helped\" / all \"was this helpful?\" answers", helpful, answers)
