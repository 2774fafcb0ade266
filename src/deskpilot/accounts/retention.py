"""Retention of the sign-in log: login attempts (who tried, from where) older than the logs' period are deleted;
the rate limit only ever looks at the last minutes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.models import LoginAttempt
from deskpilot.config import Settings
from deskpilot.data_retention import Expired, RetentionKind


@dataclass(frozen=True)
class LoginAttemptsSweep:
    name: str = "login_attempts"
    kind: RetentionKind = RetentionKind.LOGS

    def expire(self, session: Session, *, settings: Settings,  # noqa: ARG002 - no files to delete
               before: datetime, dry_run: bool) -> Expired:
        """Delete the login attempts made before `before`."""
        count = session.scalar(select(func.count(LoginAttempt.id)).where(LoginAttempt.at < before)) or 0
        if not dry_run and count:
            session.execute(delete(LoginAttempt).where(LoginAttempt.at < before),
                            execution_options={"synchronize_session": False})
            session.flush()
        return Expired(records=count)


SWEEP = LoginAttemptsSweep()
