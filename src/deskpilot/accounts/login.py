"""Password login with a database-backed rate limit, and web sessions."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.models import LoginAttempt, User, WebSession
from deskpilot.accounts.passwords import verify_password
from deskpilot.accounts.service import get_by_username, token_digest
from deskpilot.audit import service as audit
from deskpilot.clock import utcnow
from deskpilot.errors import NotAuthenticated, RateLimited

WINDOW = timedelta(minutes=1)


def _check_rate(session: Session, *, key: str, per_minute: int) -> None:
    since = utcnow() - WINDOW
    failures = session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.key == key, LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False))) or 0
    if failures >= per_minute:
        raise RateLimited("Too many failed sign-in attempts. Wait a minute and try again.")


def authenticate(session: Session, *, username: str, password: str, client: str, per_minute: int) -> User:
    """The user for these credentials, or NotAuthenticated; failures per user and client are rate-limited.

    A failed attempt is recorded in its own flush so the caller can commit it even though the login failed.
    """
    key = f"{username.lower()}|{client}"
    _check_rate(session, key=key, per_minute=per_minute)
    user = get_by_username(session, username=username.lower())
    ok = user is not None and user.is_active and verify_password(user.password_hash, password)
    session.add(LoginAttempt(key=key, at=utcnow(), succeeded=ok))
    session.flush()
    if not ok or user is None:
        raise NotAuthenticated("Unknown username or wrong password.")
    audit.record(session, actor_id=user.id, actor_name=user.username, action="user.login",
                 subject_type="user", subject_id=user.id)
    return user


def open_session(session: Session, *, user: User, hours: int) -> str:
    """A new web session; the returned secret goes into the cookie, only its digest is stored."""
    secret = secrets.token_urlsafe(32)
    session.add(WebSession(user_id=user.id, token_hash=token_digest(secret),
                           expires_at=utcnow() + timedelta(hours=hours)))
    session.execute(delete(WebSession).where(WebSession.expires_at < utcnow()))
    session.flush()
    return secret


def user_for_session(session: Session, *, secret: str) -> User | None:
    row = session.scalar(select(WebSession).where(WebSession.token_hash == token_digest(secret)))
    if row is None or row.expires_at < utcnow():
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.is_active else None


def close_session(session: Session, *, secret: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == token_digest(secret)))
