"""Who a mail is from, as a user of the desk: matched by address, created, or the configured fallback."""

from __future__ import annotations

import re

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import User
from deskpilot.accounts.principal import Principal
from deskpilot.accounts.schemas import UserCreate
from deskpilot.config import Settings, UnknownSender
from deskpilot.errors import InvalidInput

_DIRECTORY = Principal.system("mail-intake")
_NOT_USERNAME = re.compile(r"[^a-z0-9._-]+")
_MAX_SUFFIX = 1000


def _by_address(session: Session, address: str) -> User | None:
    # Read-only lookup; accounts stores addresses lower-cased and unique.
    return session.scalar(select(User).where(func.lower(User.email) == address.lower()))


def _free_username(session: Session, address: str) -> str:
    local = _NOT_USERNAME.sub("-", address.split("@", 1)[0].lower()).strip("-._")
    base = (local if len(local) >= 2 else f"mail-{local}".rstrip("-"))[:56]
    for suffix in range(1, _MAX_SUFFIX):
        candidate = base if suffix == 1 else f"{base}-{suffix}"
        if accounts.get_by_username(session, username=candidate) is None:
            return candidate
    raise InvalidInput(f"No free username for {address}; create the user by hand.")


def _fallback(session: Session, settings: Settings, address: str, why: str) -> User:
    if not settings.mail_fallback_requester:
        raise InvalidInput(f"Mail from {address or 'an unknown sender'}: {why}, and no "
                           "DESKPILOT_MAIL_FALLBACK_REQUESTER is configured to file it under.")
    user = accounts.get_by_username(session, username=settings.mail_fallback_requester)
    if user is None:
        raise InvalidInput(f"DESKPILOT_MAIL_FALLBACK_REQUESTER names {settings.mail_fallback_requester!r}, "
                           "which is not a user; create it with `deskpilot users create`.")
    return user


def requester_for(session: Session, *, settings: Settings, address: str, name: str) -> User:
    """The user behind `address`: an existing one, a new requester account, or the fallback user."""
    if address:
        user = _by_address(session, address)
        if user is not None:
            return user
    if settings.mail_unknown_sender is UnknownSender.FALLBACK:
        return _fallback(session, settings, address, "the sender is not a user")
    if not address:
        return _fallback(session, settings, address, "it has no sender address")
    try:
        data = UserCreate(username=_free_username(session, address), email=address,
                          full_name=(name or address)[:200], role=Role.REQUESTER)
    except ValidationError:
        return _fallback(session, settings, address, "the sender address is not valid for an account")
    return accounts.create(session, actor=_DIRECTORY, data=data)
