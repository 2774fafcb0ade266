"""The dead-letter table: runs of jobs whose retry policy gave up, kept for an admin to see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from deskpilot.clock import utcnow
from deskpilot.db import Base, UtcDateTime


class FailedJob(Base):
    """One run that failed for good: what ran, with which payload, how often it was tried, and why it failed."""

    __tablename__ = "failed_jobs"
    __table_args__ = (Index("ix_failed_jobs_job_failed_at", "job", "failed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(120))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text)
    first_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    failed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
