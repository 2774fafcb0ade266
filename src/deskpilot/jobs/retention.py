"""Retention of the dead-letter log: failed job runs (payloads, error messages) older than the logs' period are
deleted; the jobs themselves run again on their next slot."""

from __future__ import annotations

from deskpilot.data_retention import DeleteOlderRows, RetentionKind
from deskpilot.jobs.models import FailedJob

SWEEP = DeleteOlderRows(name="failed_jobs", kind=RetentionKind.LOGS, at=FailedJob.failed_at)
