"""Failed password guesses, counted per key ("account:NAME", "client:ADDRESS") over a sliding minute.

Sign-in and the change of one's own password both guess at the same secret, so both count against the
account's key: a stolen session cannot try passwords faster than the sign-in page allows.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.models import LoginAttempt
from deskpilot.clock import utcnow
from deskpilot.errors import RateLimited

WINDOW = timedelta(minutes=1)
# Failed guesses per account per minute when no setting says otherwise (the sign-in default).
PER_ACCOUNT = 5


def account_key(username: str) -> str:
    return f"account:{username.lower()}"


def check_rate(session: Session, *, key: str, per_minute: int, what: str = "sign-in attempts") -> None:
    """Refuse (429) when `key` has failed `per_minute` times within the last minute."""
    since = utcnow() - WINDOW
    failures = session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.key == key, LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False))) or 0
    if failures >= per_minute:
        raise RateLimited(f"Too many failed {what}. Wait a minute and try again.")


def note(session: Session, *, keys: tuple[str, ...], succeeded: bool) -> None:
    session.add_all([LoginAttempt(key=key, at=utcnow(), succeeded=succeeded) for key in keys])
    session.flush()
