"""What the knowledge base holds about a person: questions they asked that nobody could answer, their
"was this helpful?" votes, and the article versions they wrote or reviewed. Erasing deletes their questions,
unlinks their votes, and scrubs their identifiers from every article version (AI-drafted ones included)."""

from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from deskpilot.kb.models import KbArticleFeedback, KbArticleVersion, KbGapQuestion
from deskpilot.personal_data import Change, Erasure, FunctionSource, Person, Section, columns


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


def erase(session: Session, *, erasure: Erasure, apply: bool) -> list[Change]:
    person_id = erasure.person.user_id
    gaps = list(session.scalars(select(KbGapQuestion.id).where(KbGapQuestion.asked_by_id == person_id)))
    other_gaps = [gap for gap in session.scalars(select(KbGapQuestion).where(KbGapQuestion.id.not_in(gaps)))
                  if erasure.mentions(gap.question)]
    votes = list(session.scalars(select(KbArticleFeedback).where(KbArticleFeedback.user_id == person_id)))
    versions = [version for version in session.scalars(select(KbArticleVersion)) if _names(version, erasure)]
    if apply:
        session.execute(delete(KbGapQuestion).where(KbGapQuestion.id.in_(gaps)))
        for gap in other_gaps:
            gap.question = erasure.scrub(gap.question)
        for vote in votes:
            vote.user_id = None
        for version in versions:
            _scrub_version(version, erasure)
        session.flush()
    return [Change("knowledge", "unanswered_questions", len(gaps), "deleted"),
            Change("knowledge", "other_questions_mentioning", len(other_gaps), "identifiers scrubbed"),
            Change("knowledge", "article_feedback", len(votes), "unlinked from the person (votes kept)"),
            Change("knowledge", "article_versions", len(versions), "author, reviewer and identifiers scrubbed")]


def _names(version: KbArticleVersion, erasure: Erasure) -> bool:
    person_id = erasure.person.user_id
    return person_id in (version.author_id, version.reviewer_id) or any(erasure.mentions(text) for text in (
        version.title, version.body, version.change_note, version.review_note, version.author_name,
        version.reviewer_name))


def _scrub_version(version: KbArticleVersion, erasure: Erasure) -> None:
    version.title, version.body = erasure.scrub(version.title), erasure.scrub(version.body)
    version.change_note = erasure.scrub(version.change_note)
    version.review_note = None if version.review_note is None else erasure.scrub(version.review_note)
    if version.author_id == erasure.person.user_id or erasure.mentions(version.author_name):
        version.author_name = erasure.pseudonym
    if version.reviewer_id == erasure.person.user_id or erasure.mentions(version.reviewer_name):
        version.reviewer_name = erasure.pseudonym


SOURCE = FunctionSource("knowledge", collect, eraser=erase)
