"""Retention of the dead-letter log: failed job runs (payloads, error messages) older than the logs' period are
deleted; the jobs themselves run again on their next slot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from deskpilot.config import Settings
from deskpilot.data_retention import Expired, RetentionKind
from deskpilot.jobs.models import FailedJob


@dataclass(frozen=True)
class FailedJobsSweep:
    name: str = "failed_jobs"
    kind: RetentionKind = RetentionKind.LOGS

    def expire(self, session: Session, *, settings: Settings,  # noqa: ARG002 - no files to delete
               before: datetime, dry_run: bool) -> Expired:
        """Delete the failed runs recorded before `before`."""
        count = session.scalar(select(func.count(FailedJob.id)).where(FailedJob.failed_at < before)) or 0
        if not dry_run and count:
            session.execute(delete(FailedJob).where(FailedJob.failed_at < before),
                            execution_options={"synchronize_session": False})
            session.flush()
        return Expired(records=count)


SWEEP = FailedJobsSweep()
