"""Tables of the triage area: the desk's taxonomy (categories, where each is routed, what belongs in it) and
its versions, and the corrected examples triage consults before the next retrain."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from deskpilot.clock import utcnow
from deskpilot.db import Base, UtcDateTime, enum_column
from deskpilot.sealed_storage import SealedText


class Criticality(StrEnum):
    """How much the business depends on the service a category stands for; priority reads it as impact."""

    STANDARD = "standard"
    HIGH = "high"
    CRITICAL = "critical"


class TriageCategory(Base):
    """A category the classifier may output; nothing outside this table ever reaches a ticket. The
    description and example requests say what belongs in it (triage reads them before any history exists)."""

    __tablename__ = "triage_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    default_queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    examples: Mapped[list[str]] = mapped_column(JSON, default=list)
    criticality: Mapped[Criticality] = mapped_column(enum_column(Criticality, "service_criticality"),
                                                     default=Criticality.STANDARD, server_default="standard")


class TaxonomyVersion(Base):
    """The whole taxonomy after one edit: every change makes a new numbered version (who, when, what)."""

    __tablename__ = "triage_taxonomy_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_by_name: Mapped[str] = mapped_column(String(120))
    change: Mapped[str] = mapped_column(String(300))
    categories: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class CorrectedExample(Base):
    """A request whose category an agent corrected: the example memory triage consults at once, and
    training data for the next retrain."""

    __tablename__ = "triage_corrected_examples"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(SealedText)
    category: Mapped[str] = mapped_column(String(120), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), default=None)
    corrected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
