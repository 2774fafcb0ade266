"""The jobs area's tables: the dead letters (runs whose retry policy gave up, kept for an admin to see, retry or
discard), the effects a run has made (so a run delivered twice does its work once) and the progress of long runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from deskpilot.clock import utcnow
from deskpilot.db import Base, UtcDateTime, enum_column
from deskpilot.jobs.enums import DeadLetterStatus


class FailedJob(Base):
    """One run that failed for good: what ran, with which payload, how often it was tried, and why it failed."""

    __tablename__ = "failed_jobs"
    __table_args__ = (Index("ix_failed_jobs_job_failed_at", "job", "failed_at"),
                      Index("ix_failed_jobs_status", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(120))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text)
    first_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    failed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    status: Mapped[DeadLetterStatus] = mapped_column(enum_column(DeadLetterStatus, "dead_letter_status"),
                                                     default=DeadLetterStatus.FAILED,
                                                     server_default=DeadLetterStatus.FAILED.value)
    resolved_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class JobEffect(Base):
    """A step of a run that committed its effect: the same (key, step) never commits again, whoever retries it."""

    __tablename__ = "job_effects"
    __table_args__ = (UniqueConstraint("idempotency_key", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(120))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    step: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(Text, default="")
    done_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class JobProgress(Base):
    """How far a long run has come (done of total), updated by the run as it goes."""

    __tablename__ = "job_progress"

    idempotency_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    job: Mapped[str] = mapped_column(String(120))
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
