"""Tables of governance: versioned replay sets of approved cases, the replay runs that gated a change, the AI
switches, the answer review queue, and the KB change sets approved through the gate."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deskpilot.clock import utcnow
from deskpilot.db import Base, UtcDateTime, enum_column
from deskpilot.governance.enums import AiMode, Capability, CaseKind, CaseSource, ReviewKind, Verdict
from deskpilot.sealed_storage import SealedText


class ReplaySet(Base):
    """One immutable version of the replay set; every build or import makes the next version."""

    __tablename__ = "replay_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))
    # How the version came about: {"made_by": "build" | "import", "file": ..., "counts": {source: n}}.
    provenance: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cases: Mapped[list[ReplayCase]] = relationship(order_by="ReplayCase.id", cascade="all, delete-orphan")


class ReplayCase(Base):
    """One approved case: a PII-redacted question and the outcome the desk confirmed for it."""

    __tablename__ = "replay_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("replay_sets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[CaseKind] = mapped_column(enum_column(CaseKind, "replay_case_kind"))
    source: Mapped[CaseSource] = mapped_column(enum_column(CaseSource, "replay_case_source"))
    # The record the case came from ("ticket:12", "decision:7", "cases.csv line 4"): its provenance.
    source_ref: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(SealedText)
    expected: Mapped[dict[str, Any]] = mapped_column(JSON)


class ReplayRun(Base):
    """One replay of a set through the current and a candidate version, and what the gate concluded."""

    __tablename__ = "replay_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("replay_sets.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    actor_name: Mapped[str] = mapped_column(String(120))
    component: Mapped[str] = mapped_column(String(60))
    current_version: Mapped[str | None] = mapped_column(String(40), default=None)
    candidate_version: Mapped[str] = mapped_column(String(40))
    passed: Mapped[bool] = mapped_column(Boolean)
    report: Mapped[dict[str, Any]] = mapped_column(JSON)


class AiSwitch(Base):
    """The mode of one capability in one scope: "*" (everywhere), "channel:<name>" or "queue:<name>"."""

    __tablename__ = "ai_switches"
    __table_args__ = (UniqueConstraint("capability", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    capability: Mapped[Capability] = mapped_column(enum_column(Capability, "ai_capability"))
    scope: Mapped[str] = mapped_column(String(140))
    mode: Mapped[AiMode] = mapped_column(enum_column(AiMode, "ai_mode"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    changed_by: Mapped[str] = mapped_column(String(120))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AiReview(Base):
    """One sampled AI output in the review queue, and the reviewer's verdict once given.

    `item_ref` is the record reviewed (an AI decision id for answers and drafts, a runbook run id); the question
    and output are copied (redacted) so the verdict stays readable when the record ages out."""

    __tablename__ = "ai_reviews"
    __table_args__ = (UniqueConstraint("kind", "item_ref"), Index("ix_ai_reviews_verdict_reviewed", "verdict",
                                                                  "reviewed_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReviewKind] = mapped_column(enum_column(ReviewKind, "ai_review_kind"))
    item_ref: Mapped[int] = mapped_column(Integer)
    intent: Mapped[str] = mapped_column(String(120))
    confidence: Mapped[float | None] = mapped_column(Float, default=None)
    question: Mapped[str] = mapped_column(SealedText, default="")
    output: Mapped[str] = mapped_column(SealedText, default="")
    # The article the answer or draft was built from (None for a runbook run or an answer without one).
    article: Mapped[str | None] = mapped_column(String(120), default=None)
    sampled_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    sampled_by: Mapped[str] = mapped_column(String(120))
    verdict: Mapped[Verdict | None] = mapped_column(enum_column(Verdict, "ai_review_verdict"), default=None)
    note: Mapped[str] = mapped_column(String(1000), default="")
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    reviewer_name: Mapped[str | None] = mapped_column(String(120), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class KbChangeSet(Base):
    """KB versions approved together through the replay gate, with the versions they replaced, so the set can
    be rolled back as one. `items`: [{"article_id", "slug", "version", "previous"}] (previous None: the
    article was new)."""

    __tablename__ = "kb_change_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    replay_run_id: Mapped[int | None] = mapped_column(ForeignKey("replay_runs.id", ondelete="SET NULL"),
                                                      default=None)
    override_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    approved_by: Mapped[str] = mapped_column(String(120))
    approved_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    rolled_back_by: Mapped[str | None] = mapped_column(String(120), default=None)
    rolled_back_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
