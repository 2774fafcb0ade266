"""The help centre's reads and its one write: approved articles by category, one article, and "was this
helpful?". Only approved versions are ever shown, the same text the assistant answers from, so anyone the
help centre admits (signed in, or anonymous when the desk allows it) may read them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from deskpilot.errors import NotFound
from deskpilot.kb.enums import KbArticleStatus
from deskpilot.kb.models import KbArticle, KbArticleFeedback
from deskpilot.kb.service import ApprovedDocument, approved_documents

GENERAL = "General"


@dataclass(frozen=True)
class ArticleLink:
    slug: str
    title: str
    category: str


def _published() -> ColumnElement[bool]:
    return and_(KbArticle.status == KbArticleStatus.PUBLISHED, KbArticle.approved_version.is_not(None))


def categories(session: Session) -> list[tuple[str, int]]:
    """(category, published articles in it), by name; articles without one are under GENERAL."""
    name = func.coalesce(KbArticle.category, GENERAL)
    rows = session.execute(select(name, func.count()).where(_published()).group_by(name).order_by(name))
    return [(str(category), int(count)) for category, count in rows]


def articles_in(session: Session, *, category: str) -> list[ArticleLink]:
    """The published articles of one category (GENERAL: those without one), by title."""
    query = select(KbArticle.slug, KbArticle.title, KbArticle.category).where(_published())
    query = query.where(KbArticle.category.is_(None) if category == GENERAL else KbArticle.category == category)
    return [ArticleLink(slug, title, category or GENERAL)
            for slug, title, category in session.execute(query.order_by(func.lower(KbArticle.title)))]


def get_article(session: Session, *, slug: str) -> ApprovedDocument:
    """The approved version of a published article; NotFound for drafts, retired or unknown slugs."""
    found = approved_documents(session, slugs=[slug])
    if not found:
        raise NotFound(f"There is no published help article {slug!r}. It may have been retired or renamed.")
    return found[0]


def record_feedback(session: Session, *, slug: str, helpful: bool, user_id: int | None) -> KbArticleFeedback:
    """Count one "was this helpful?" answer on the article's approved version (read by the KPI report)."""
    document = get_article(session, slug=slug)
    article_id = session.scalar(select(KbArticle.id).where(KbArticle.slug == document.slug))
    feedback = KbArticleFeedback(article_id=article_id, version=document.version, helpful=helpful, user_id=user_id)
    session.add(feedback)
    session.flush()
    return feedback
