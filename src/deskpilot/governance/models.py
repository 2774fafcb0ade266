"""Tables of governance: versioned replay sets of approved cases, and the replay runs that gated a change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deskpilot.clock import utcnow
from deskpilot.db import Base, UtcDateTime, enum_column
from deskpilot.governance.enums import AiMode, Capability, CaseKind, CaseSource


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
    question: Mapped[str] = mapped_column(Text)
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
