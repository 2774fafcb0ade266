"""Retention of the sign-in log: login attempts (who tried, from where) older than the logs' period are deleted;
the rate limit only ever looks at the last minutes."""

from __future__ import annotations

from deskpilot.accounts.models import LoginAttempt
from deskpilot.data_retention import DeleteOlderRows, RetentionKind

SWEEP = DeleteOlderRows(name="login_attempts", kind=RetentionKind.LOGS, at=LoginAttempt.at)
