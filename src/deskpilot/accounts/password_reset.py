"""Resets of deskpilot's own sign-in passwords made by a runbook (the self-service reset when no LDAP directory
is configured), their rollback, and the sign-in lock-out an unlock clears.

Who may do this is decided before it gets here: an approved runbook run (operators with its approvals, or a
requester on their own account after the e-mailed code). A reset ends every web session and revokes every API
token of the account, as a password change after a possible takeover must. The hash it replaced is kept in a
restore point, so the run's rollback can put the previous password back, once, and only while the password is
still the one the reset set. Neither password nor hash ever reaches the audit log.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from deskpilot.accounts import attempts
from deskpilot.accounts.models import ApiToken, LoginAttempt, PasswordRestorePoint, User, WebSession
from deskpilot.accounts.passwords import hash_password, verify_password
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.clock import utcnow
from deskpilot.errors import Conflict, NotFound


def _end_access(session: Session, *, user_id: int) -> dict[str, object]:
    """End every web session and revoke every live API token of the user; what ended, for the audit."""
    sessions = list(session.scalars(select(WebSession.id).where(WebSession.user_id == user_id)))
    session.execute(delete(WebSession).where(WebSession.id.in_(sessions)))
    tokens = list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked.is_(False))))
    for token in tokens:
        token.revoked = True
    session.flush()
    return {"sessions_ended": len(sessions), "tokens_revoked": [t.id for t in tokens]}


def reset(session: Session, *, actor: Principal, user_id: int, password: str) -> int:
    """Set a new sign-in password (argon2id via `accounts.passwords`) and end all of the account's access;
    returns the id of the restore point that puts the previous password back."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound(f"No active account with id {user_id}.")
    point = PasswordRestorePoint(user_id=user.id, previous_hash=user.password_hash, set_hash=hash_password(password),
                                 created_at=utcnow())
    user.password_hash = point.set_hash
    session.add(point)
    session.flush()
    ended = _end_access(session, user_id=user.id)
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="user.password_reset",
                 subject_type="user", subject_id=user.id, after={"restore_point": point.id, **ended})
    return point.id


def restore(session: Session, *, actor: Principal, user_id: int, restore_point_id: int) -> None:
    """Put back the password a reset replaced (the rollback of `reset`); refused when the point was used, or
    when the password has changed since the reset (putting an older one back would undo that change too)."""
    point = session.get(PasswordRestorePoint, restore_point_id)
    user = session.get(User, user_id)
    if point is None or user is None or point.user_id != user.id:
        raise NotFound(f"No password restore point #{restore_point_id} for this account.")
    if point.used_at is not None:
        raise Conflict(f"The previous password was already put back ({point.used_at:%Y-%m-%d %H:%M} UTC).")
    if user.password_hash != point.set_hash:
        raise Conflict("The password has changed again since the reset; the previous one is not put back over it.")
    user.password_hash, point.used_at = point.previous_hash, utcnow()
    # Whoever signed in with the reset password loses that access with it.
    ended = _end_access(session, user_id=user.id)
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="user.password_restored",
                 subject_type="user", subject_id=user.id, after={"restore_point": point.id, **ended})


def signs_in_with(session: Session, *, user_id: int, password: str) -> bool:
    """Whether `password` is the account's current sign-in password."""
    user = session.get(User, user_id)
    return verify_password(user.password_hash if user is not None else None, password)


def locked_since(session: Session, *, username: str, per_minute: int) -> datetime | None:
    """When the sign-in rate limit locked the account out (its latest failed try), or None when it is not."""
    since = utcnow() - attempts.WINDOW
    failures, latest = session.execute(select(func.count(), func.max(LoginAttempt.at)).where(
        LoginAttempt.key == attempts.account_key(username), LoginAttempt.at >= since,
        LoginAttempt.succeeded.is_(False))).one()
    return latest if failures >= per_minute else None


def unlock(session: Session, *, actor: Principal, user_id: int) -> int:
    """Forget the account's recent failed sign-ins, so the rate limit no longer locks it out; how many."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No account with id {user_id}.")
    cleared = list(session.scalars(select(LoginAttempt.id).where(
        LoginAttempt.key == attempts.account_key(user.username), LoginAttempt.at >= utcnow() - attempts.WINDOW,
        LoginAttempt.succeeded.is_(False))))
    session.execute(delete(LoginAttempt).where(LoginAttempt.id.in_(cleared)))
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="user.unlocked",
                 subject_type="user", subject_id=user.id, after={"failed_sign_ins_cleared": len(cleared)})
    return len(cleared)
