"""Use cases of the accounts area: users, teams, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from deskpilot.accounts.models import ApiToken, Role, Team, User
from deskpilot.accounts.passwords import hash_password
from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.accounts.schemas import TeamCreate, UserCreate, UserUpdate
from deskpilot.audit import service as audit
from deskpilot.clock import utcnow
from deskpilot.errors import Conflict, NotFound

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
    require(actor, Permission.USER_MANAGE)
    user = get(session, user_id=user_id)
    before = _snapshot(user)
    for field in ("full_name", "role", "is_active", "is_vip"):
        value = getattr(data, field)
        if value is not None:
            setattr(user, field, value)
    if data.team_ids is not None:
        user.teams = _teams(session, data.team_ids)
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="user.update",
                 subject_type="user", subject_id=user.id, before=before, after=_snapshot(user))
    return user


def set_password(session: Session, *, actor: Principal, user_id: int, password: str) -> None:
    require(actor, Permission.USER_MANAGE)
    user = get(session, user_id=user_id)
    user.password_hash = hash_password(password)
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="user.password_set",
                 subject_type="user", subject_id=user.id)


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


def get_teams(session: Session, *, actor: Principal) -> list[Team]:
    require(actor, Permission.DIRECTORY_READ)
    return list(session.scalars(select(Team).order_by(Team.name)))


def issue_token(session: Session, *, actor: Principal, user_id: int, name: str) -> tuple[ApiToken, str]:
    """A new API token for a user (the user themself or an admin); the secret is returned only once."""
    if actor.user_id != user_id:
        require(actor, Permission.USER_MANAGE)
    user = get(session, user_id=user_id)
    secret = "dp_" + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=token_digest(secret))
    session.add(token)
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="token.issue",
                 subject_type="user", subject_id=user.id, after={"token_id": token.id, "name": name})
    return token, secret


def user_for_token(session: Session, *, token: str) -> User | None:
    """The active user owning a non-revoked token, or None."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token),
                                                ApiToken.revoked.is_(False)))
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    now = utcnow()
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
