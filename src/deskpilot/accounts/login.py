"""Password login with a database-backed rate limit, and web sessions."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta
from ipaddress import ip_address, ip_network

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from deskpilot.accounts import attempts
from deskpilot.accounts.models import User, WebSession
from deskpilot.accounts.passwords import verify_password
from deskpilot.accounts.service import get_by_username, token_digest
from deskpilot.audit import service as audit
from deskpilot.clock import utcnow
from deskpilot.errors import NotAuthenticated, PermissionDenied


def client_address(peer: str, forwarded_for: str | None, trusted_proxies: Sequence[str]) -> str:
    """Where a request comes from: the direct peer, unless the peer is one of `trusted_proxies` (addresses or
    CIDRs); then the nearest X-Forwarded-For entry that is not a proxy (entries further left are the client's
    to forge). Anyone else's X-Forwarded-For is ignored, or it would pick its own rate-limit key."""
    proxies = [ip_network(p, strict=False) for p in trusted_proxies]

    def is_proxy(address: str) -> bool:
        try:
            parsed = ip_address(address)
        except ValueError:
            return False
        return any(parsed in network for network in proxies)

    if not is_proxy(peer) or not forwarded_for:
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        if not is_proxy(hop):
            try:
                return str(ip_address(hop))
            except ValueError:
                return peer
    return peer


def authenticate(session: Session, *, username: str, password: str, client: str, per_account: int,
                 per_client: int) -> User:
    """The user for these credentials, or NotAuthenticated.

    Failures are limited per account (across every client: spraying one account from many addresses) and
    per client (across accounts). A failure is raised as `recorded`, so its attempt is committed. Unknown
    and inactive users cost one password verification too, or the time taken would tell who exists.
    """
    name = username.lower()
    keys = (attempts.account_key(name), f"client:{client}")
    attempts.check_rate(session, key=keys[0], per_minute=per_account)
    attempts.check_rate(session, key=keys[1], per_minute=per_client)
    user = get_by_username(session, username=name)
    verified = verify_password(user.password_hash if user is not None else None, password)
    ok = user is not None and user.is_active and verified
    attempts.note(session, keys=keys, succeeded=ok)
    if not ok or user is None:
        raise NotAuthenticated("Unknown username or wrong password.", recorded=True)
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


def require_local_passwords(*, enabled: bool, provider_label: str) -> None:
    """Refuse password sign-in when the desk turned it off for its identity provider."""
    if not enabled:
        raise PermissionDenied(f"Password sign-in is switched off on this desk; sign in with {provider_label}.")
