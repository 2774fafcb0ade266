"""API shapes of the jobs area: dead letters (runs that failed for good) and the progress of long runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from deskpilot.jobs.enums import DeadLetterStatus


class FailedJobRead(BaseModel):
    model_config = {"from_attributes": True}

    id: int
    job: str
    idempotency_key: str
    payload: dict[str, Any]
    attempts: int = Field(description="how many times the run was tried before the retry policy gave up")
    error: str
    first_attempt_at: datetime
    failed_at: datetime
    status: DeadLetterStatus = Field(description="failed (waiting for an admin), retry_requested, requeued or "
                                                 "discarded")
    resolved_by: str | None = None
    resolved_at: datetime | None = None


class JobProgressRead(BaseModel):
    model_config = {"from_attributes": True}

    idempotency_key: str
    job: str
    done: int
    total: int | None
    note: str
    attempt: int
    updated_at: datetime
