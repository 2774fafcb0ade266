"""Tables of the kb area: articles, their versions, and the questions the assistant could not answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deskpilot.clock import utcnow
from deskpilot.db import Base, UtcDateTime, enum_column
from deskpilot.kb.enums import KbArticleStatus, KbVersionStatus
from deskpilot.sealed_storage import SealedText


class KbArticle(Base):
    __tablename__ = "kb_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"), default=None)
    category: Mapped[str | None] = mapped_column(String(120), default=None)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The language the article is written in, and the slug of the article it translates (None: an original).
    language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    translation_of: Mapped[str | None] = mapped_column(String(120), default=None)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    status: Mapped[KbArticleStatus] = mapped_column(enum_column(KbArticleStatus, "kb_article_status"),
                                                    default=KbArticleStatus.DRAFT)
    # The version number answers are built from; None while nothing is approved (or after retirement).
    approved_version: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    versions: Mapped[list[KbArticleVersion]] = relationship(
        back_populates="article", order_by="KbArticleVersion.version", cascade="all, delete-orphan")


class KbArticleVersion(Base):
    __tablename__ = "kb_article_versions"
    __table_args__ = (
        UniqueConstraint("article_id", "version"),
        Index("ix_kb_article_versions_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[KbVersionStatus] = mapped_column(enum_column(KbVersionStatus, "kb_version_status"),
                                                    default=KbVersionStatus.DRAFT)
    change_note: Mapped[str] = mapped_column(String(1000), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    author_name: Mapped[str] = mapped_column(String(120))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    reviewer_name: Mapped[str | None] = mapped_column(String(120), default=None)
    review_note: Mapped[str | None] = mapped_column(String(2000), default=None)
    source_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"),
                                                         default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    article: Mapped[KbArticle] = relationship(back_populates="versions")


class KbGapQuestion(Base):
    """A question the assistant abstained on: the raw material for "articles to write". PII-redacted."""

    __tablename__ = "kb_gap_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(SealedText)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    # The best candidates retrieval found (slug, version, score), too weak to answer from.
    near_misses: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class KbArticleFeedback(Base):
    """A reader's "was this helpful?" on an article version in the help centre (anonymous readers too)."""

    __tablename__ = "kb_article_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    helpful: Mapped[bool] = mapped_column(Boolean)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class KbIndexReset(Base):
    """A change of indexed text made in place, without a new version (an erasure scrubs approved versions and
    the questions the index learned): every process's index holder polls the newest id and reloads its index
    when it moved, so no process keeps the old text in memory or writes it back to the index files."""

    __tablename__ = "kb_index_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
