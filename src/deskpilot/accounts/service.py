"""Use cases of the accounts area: users, teams, API tokens, own passwords."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from deskpilot.accounts import attempts
from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import (
    TOKEN_DEFAULT_DAYS,
    TOKEN_MAX_ACTIVE,
    TOKEN_MAX_DAYS,
    ApiToken,
    Team,
    User,
    WebSession,
)
from deskpilot.accounts.passwords import hash_password, verify_password
from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.accounts.schemas import TeamCreate, UserCreate, UserUpdate
from deskpilot.audit import service as audit
from deskpilot.clock import utcnow
from deskpilot.errors import Conflict, InvalidInput, NotFound, PermissionDenied

TOKEN_USE_RESOLUTION = timedelta(minutes=5)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _snapshot(user: User) -> dict[str, object]:
    return {"username": user.username, "email": user.email, "full_name": user.full_name, "role": user.role,
            "is_active": user.is_active, "is_vip": user.is_vip, "teams": sorted(t.name for t in user.teams)}


def _teams(session: Session, team_ids: list[int]) -> list[Team]:
    teams = list(session.scalars(select(Team).where(Team.id.in_(team_ids)))) if team_ids else []
    missing = set(team_ids) - {t.id for t in teams}
    if missing:
        raise NotFound(f"No team with id {', '.join(map(str, sorted(missing)))}.")
    return teams


def get(session: Session, *, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    return user


def get_visible(session: Session, *, actor: Principal, user_id: int) -> User:
    """A user's record: everyone sees themself, staff and auditors see the directory."""
    if actor.user_id != user_id:
        require(actor, Permission.DIRECTORY_READ)
    return get(session, user_id=user_id)


def get_by_username(session: Session, *, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def get_by_email(session: Session, *, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def get_all(session: Session, *, actor: Principal, role: Role | None = None, offset: int = 0,
            limit: int = 50) -> tuple[list[User], int]:
    """Users for the directory: staff see everyone, requesters see nobody but themselves."""
    require(actor, Permission.DIRECTORY_READ)
    query = select(User)
    if role:
        query = query.where(User.role == role)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(session.scalars(query.order_by(User.username).offset(offset).limit(limit))), total


def create(session: Session, *, actor: Principal, data: UserCreate) -> User:
    """Create a user (admins only); usernames and e-mails are unique."""
    require(actor, Permission.USER_MANAGE)
    if get_by_username(session, username=data.username):
        raise Conflict(f"The username {data.username!r} is taken.")
    if session.scalar(select(User).where(func.lower(User.email) == data.email.lower())):
        raise Conflict(f"The e-mail {data.email} belongs to another user.")
    user = User(username=data.username, email=data.email.lower(), full_name=data.full_name, role=data.role,
                is_vip=data.is_vip, password_hash=hash_password(data.password) if data.password else None,
                teams=_teams(session, data.team_ids))
    session.add(user)
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="user.create",
                 subject_type="user", subject_id=user.id, after=_snapshot(user))
    return user


def update(session: Session, *, actor: Principal, user_id: int, data: UserUpdate) -> User:
    """Change a user (admins only). Deactivating ends their sessions and tokens; the last admin stays one."""
    require(actor, Permission.USER_MANAGE)
    user = get(session, user_id=user_id)
    _keep_an_admin(session, user=user, data=data)
    before = _snapshot(user)
    was_active = user.is_active
    for field in ("full_name", "role", "is_active", "is_vip"):
        value = getattr(data, field)
        if value is not None:
            setattr(user, field, value)
    if data.team_ids is not None:
        user.teams = _teams(session, data.team_ids)
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="user.update",
                 subject_type="user", subject_id=user.id, before=before, after=_snapshot(user))
    if was_active and not user.is_active:
        _end_access(session, actor=actor, user=user)
    return user


def _keep_an_admin(session: Session, *, user: User, data: UserUpdate) -> None:
    """Refuse a change that leaves no active administrator: nobody could manage users or settings any more."""
    demoted = data.role is not None and data.role != Role.ADMIN
    if user.role != Role.ADMIN or not user.is_active or not (demoted or data.is_active is False):
        return
    # Locking every active admin row makes two admins demoting each other at once wait for one another on
    # PostgreSQL, so the second sees the first's change (SQLite lets only one writer in anyway).
    admins = set(session.scalars(select(User.id).where(User.role == Role.ADMIN, User.is_active.is_(True))
                                 .order_by(User.id).with_for_update()))
    if admins <= {user.id}:
        raise Conflict(f"{user.username} is the last active administrator: make another user an administrator "
                       "first, or nobody could manage the desk.")


def _end_sessions(session: Session, *, user_id: int, keep_secret: str | None = None) -> int:
    """Delete the user's web sessions except the one whose cookie is `keep_secret`; how many ended."""
    ending = select(WebSession.id).where(WebSession.user_id == user_id)
    if keep_secret:
        ending = ending.where(WebSession.token_hash != token_digest(keep_secret))
    ids = list(session.scalars(ending))
    if ids:
        session.execute(delete(WebSession).where(WebSession.id.in_(ids)))
    return len(ids)


def _end_access(session: Session, *, actor: Principal, user: User) -> None:
    """End a deactivated user's sessions and revoke their tokens, so that reactivation revives neither."""
    sessions = _end_sessions(session, user_id=user.id)
    tokens = list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))))
    for token in tokens:
        token.revoked = True
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="user.access_ended",
                 subject_type="user", subject_id=user.id,
                 after={"sessions_ended": sessions, "tokens_revoked": [t.id for t in tokens]})


def set_password(session: Session, *, actor: Principal, user_id: int, password: str) -> None:
    """An administrator sets a user's password; every web session of that user ends (it may be a takeover)."""
    require(actor, Permission.USER_MANAGE)
    user = get(session, user_id=user_id)
    user.password_hash = hash_password(password)
    ended = _end_sessions(session, user_id=user.id)
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="user.password_set",
                 subject_type="user", subject_id=user.id, after={"sessions_ended": ended})


def change_own_password(session: Session, *, actor: Principal, current_password: str, new_password: str,
                        keep_session: str | None = None) -> int:
    """Replace the actor's own local password after checking the current one; returns how many of their
    other web sessions ended (all but `keep_session`, the cookie of the session making the change).

    A wrong current password is audited and refused with a recorded PermissionDenied (the boundary keeps
    the audit row).
    """
    user = get(session, user_id=actor.user_id or 0)
    if user.password_hash is None:
        raise Conflict("Your account has no local password (it signs in with a token); an administrator can set one.")
    key = attempts.account_key(user.username)
    attempts.check_rate(session, key=key, per_minute=attempts.PER_ACCOUNT, what="password attempts")
    if not verify_password(user.password_hash, current_password):
        attempts.note(session, keys=(key,), succeeded=False)
        audit.record(session, actor_id=actor.user_id, actor_name=actor.username,
                     action="user.password_change_refused", subject_type="user", subject_id=user.id)
        session.flush()
        raise PermissionDenied("The current password is wrong; your password was not changed.", recorded=True)
    user.password_hash = hash_password(new_password)
    ended = _end_sessions(session, user_id=user.id, keep_secret=keep_session)
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="user.password_change",
                 subject_type="user", subject_id=user.id, after={"sessions_ended": ended})
    return ended


def create_team(session: Session, *, actor: Principal, data: TeamCreate) -> Team:
    require(actor, Permission.TEAM_MANAGE)
    if session.scalar(select(Team).where(Team.name == data.name)):
        raise Conflict(f"A team named {data.name!r} exists already.")
    team = Team(name=data.name, description=data.description)
    session.add(team)
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="team.create",
                 subject_type="team", subject_id=team.id, after={"name": team.name})
    return team


def update_team(session: Session, *, actor: Principal, team_id: int, data: TeamCreate) -> Team:
    """Rename a team or change its description (admins only); team names stay unique."""
    require(actor, Permission.TEAM_MANAGE)
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(f"No team with id {team_id}.")
    if session.scalar(select(Team).where(Team.name == data.name, Team.id != team_id)):
        raise Conflict(f"A team named {data.name!r} exists already.")
    before = {"name": team.name, "description": team.description}
    team.name, team.description = data.name, data.description
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="team.update",
                 subject_type="team", subject_id=team.id, before=before,
                 after={"name": team.name, "description": team.description})
    return team


def get_teams(session: Session, *, actor: Principal) -> list[Team]:
    require(actor, Permission.DIRECTORY_READ)
    return list(session.scalars(select(Team).order_by(Team.name)))


def _require_own_or_manage(actor: Principal, user_id: int) -> None:
    if actor.user_id != user_id:
        require(actor, Permission.USER_MANAGE)


def issue_token(session: Session, *, actor: Principal, user_id: int, name: str,
                expires_in_days: int = TOKEN_DEFAULT_DAYS) -> tuple[ApiToken, str]:
    """A new API token for an active user (the user themself or an admin), valid for `expires_in_days`.

    A user holds at most TOKEN_MAX_ACTIVE live tokens. The secret is returned only once; only its digest is kept.
    """
    _require_own_or_manage(actor, user_id)
    if not 1 <= expires_in_days <= TOKEN_MAX_DAYS:
        raise InvalidInput(f"A token is valid for 1 to {TOKEN_MAX_DAYS} days (asked: {expires_in_days}).")
    user = get(session, user_id=user_id)
    if not user.is_active:
        raise Conflict(f"{user.username} is deactivated; reactivate them before issuing a token.")
    # Lock the owner so that two requests at once cannot both pass the cap on PostgreSQL.
    session.execute(select(User.id).where(User.id == user.id).with_for_update())
    now = utcnow()
    live = session.scalar(select(func.count()).select_from(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked.is_(False), ApiToken.expires_at > now)) or 0
    if live >= TOKEN_MAX_ACTIVE:
        raise Conflict(f"{user.username} has {live} active API tokens, the most allowed; revoke one that is no "
                       "longer used first.")
    secret = "dp_" + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=token_digest(secret), created_at=now,
                     expires_at=now + timedelta(days=expires_in_days))
    session.add(token)
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="token.issue",
                 subject_type="user", subject_id=user.id,
                 after={"token_id": token.id, "name": name, "expires_at": token.expires_at})
    return token, secret


def get_tokens(session: Session, *, actor: Principal, user_id: int) -> list[ApiToken]:
    """A user's API tokens, newest first, live or not (the user themself or an admin); never their secrets."""
    _require_own_or_manage(actor, user_id)
    get(session, user_id=user_id)
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_token(session: Session, *, actor: Principal, user_id: int, token_id: int) -> ApiToken:
    """Revoke one of a user's tokens (the user themself or an admin); revoking it again changes nothing."""
    _require_own_or_manage(actor, user_id)
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        raise NotFound(f"User {user_id} has no API token with id {token_id}.")
    if not token.revoked:
        token.revoked = True
        session.flush()
        audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="token.revoke",
                     subject_type="user", subject_id=user_id, after={"token_id": token.id, "name": token.name})
    return token


def user_for_token(session: Session, *, token: str) -> User | None:
    """The active user owning a live (neither revoked nor expired) token, or None."""
    now = utcnow()
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token),
                                                ApiToken.revoked.is_(False), ApiToken.expires_at > now))
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    # Recorded at most every few minutes: a write on every read would serialise all API traffic on SQLite.
    if row.last_used_at is None or now - row.last_used_at > TOKEN_USE_RESOLUTION:
        _stamp_use(session, token_id=row.id, now=now)
    return user


def _stamp_use(session: Session, *, token_id: int, now: datetime) -> None:
    """Best effort: when several requests find the stamp stale at once, one writes it and none fails.

    SQLite refuses the write of a transaction that read before another writer committed ("database is
    locked"); the request is a read and must not fail for bookkeeping, so the stamp is skipped then.
    """
    stale = or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - TOKEN_USE_RESOLUTION)
    try:
        with session.begin_nested():
            session.execute(sql_update(ApiToken).where(ApiToken.id == token_id, stale).values(last_used_at=now),
                            execution_options={"synchronize_session": False})
    except OperationalError as exc:
        if "database is locked" not in str(exc.orig):
            raise
