"""What the knowledge base holds about a person: questions they asked that nobody could answer, their
"was this helpful?" votes, and the article versions they wrote or reviewed."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from deskpilot.kb.models import KbArticleFeedback, KbArticleVersion, KbGapQuestion
from deskpilot.personal_data import FunctionSource, Person, Section, columns


def collect(session: Session, *, person: Person) -> Section:
    gaps = session.scalars(select(KbGapQuestion).where(KbGapQuestion.asked_by_id == person.user_id)
                           .order_by(KbGapQuestion.id))
    votes = session.scalars(select(KbArticleFeedback).where(KbArticleFeedback.user_id == person.user_id)
                            .order_by(KbArticleFeedback.id))
    versions = session.scalars(select(KbArticleVersion).where(or_(
        KbArticleVersion.author_id == person.user_id, KbArticleVersion.reviewer_id == person.user_id))
        .order_by(KbArticleVersion.id))
    return Section(
        name="knowledge", description="Questions the assistant could not answer (kept, redacted, for writing "
        "articles), \"was this helpful?\" votes, and article versions the person wrote or reviewed.",
        records={"unanswered_questions": [columns(gap) for gap in gaps],
                 "article_feedback": [columns(vote) for vote in votes],
                 "article_versions": [columns(version) for version in versions]})


SOURCE = FunctionSource("knowledge", collect)
