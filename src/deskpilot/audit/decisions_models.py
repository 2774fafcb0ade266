"""AI decision records: what a model decided, on which (redacted) input, from which sources, and what
people then did with it (accepted, edited, rejected, overridden)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from deskpilot.audit.enums import DecisionKind, FeedbackAction
from deskpilot.clock import utcnow
from deskpilot.db import Base, UtcDateTime, enum_column
from deskpilot.sealed_storage import SealedText


class AiDecision(Base):
    __tablename__ = "ai_decisions"
    __table_args__ = (Index("ix_ai_decisions_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DecisionKind] = mapped_column(enum_column(DecisionKind, "decision_kind"))
    subject_type: Mapped[str | None] = mapped_column(String(60), default=None)
    subject_id: Mapped[str | None] = mapped_column(String(80), default=None)
    model_version: Mapped[str] = mapped_column(String(120))
    input_hash: Mapped[str] = mapped_column(String(64))
    input_redacted: Mapped[str] = mapped_column(SealedText, default="")
    outputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    confidence: Mapped[float] = mapped_column(Float)
    abstained: Mapped[bool] = mapped_column(Boolean)
    sources: Mapped[list[Any]] = mapped_column(JSON, default=list)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    # outputs["category"] as a column, set whenever outputs is: drift groups a year of triage decisions by it,
    # and reading it from the JSON cost PostgreSQL a parse per decision.
    category: Mapped[str | None] = mapped_column(String(120), default=None)
    feedback: Mapped[list[AiFeedback]] = relationship(order_by="AiFeedback.id", cascade="all, delete-orphan")

    @validates("outputs")
    def _copy_category(self, _key: str, outputs: dict[str, Any]) -> dict[str, Any]:
        self.category = json_text(outputs.get("category")) if isinstance(outputs, dict) else None
        return outputs


def json_text(value: Any) -> str | None:
    """A JSON value as text the way `outputs ->> 'key'` reads it: strings as they are, null as NULL."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


class AiFeedback(Base):
    __tablename__ = "ai_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("ai_decisions.id", ondelete="CASCADE"), index=True)
    # The kind of the decision, copied so the feedback KPIs need not join every decision of the period.
    decision_kind: Mapped[DecisionKind] = mapped_column(enum_column(DecisionKind, "decision_kind"))
    field: Mapped[str] = mapped_column(String(60))
    action: Mapped[FeedbackAction] = mapped_column(enum_column(FeedbackAction, "feedback_action"))
    suggested_value: Mapped[str | None] = mapped_column(SealedText, default=None)
    final_value: Mapped[str | None] = mapped_column(SealedText, default=None)
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    actor_id: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
