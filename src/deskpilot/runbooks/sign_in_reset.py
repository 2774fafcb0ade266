"""The self-service reset from the sign-in page ("Forgot your password?"), for a requester who cannot sign in.

The same rules as in the chat (`runbooks/self_service.py`): a one-time code to the e-mail on file, the
approved `password-reset` runbook on the person's own account, nothing before the code came back. Signed out,
the person names their account (user name or e-mail); whether it exists is never told, requests are limited
per client address like sign-ins, and only requester accounts are reset this way (staff ask an administrator).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from deskpilot.accounts import attempts
from deskpilot.accounts import service as accounts
from deskpilot.accounts.enums import Role
from deskpilot.accounts.principal import Principal
from deskpilot.config import Settings
from deskpilot.errors import InvalidInput, RateLimited
from deskpilot.runbooks import password_policy, self_service
from deskpilot.runbooks.enums import SelfServiceStatus
from deskpilot.runbooks.mailer import Mailer
from deskpilot.runbooks.models import RunbookRun, SelfServiceRequest

ORIGIN = "sign-in page"
WRONG = "That code is not right."


def start(session: Session, *, settings: Settings, account: str, client: str, mailer: Mailer) -> int | None:
    """Send a code to the e-mail on file of the requester account `account` (user name or e-mail); the request's
    id, or None when no such requester exists or may start another reset (the caller shows the same page)."""
    key = f"password-reset:{client}"
    attempts.check_rate(session, key=key, per_minute=settings.login_attempts_per_client_per_minute,
                        what="password reset requests")
    # Every request counts against the address, so nobody can mail codes or probe accounts at speed.
    attempts.note(session, keys=(key,), succeeded=False)
    name = account.strip().lower()[:254]
    user = accounts.get_by_email(session, email=name) if "@" in name else accounts.get_by_username(session,
                                                                                                 username=name)
    if user is None or not user.is_active or user.role is not Role.REQUESTER:
        return None
    try:
        with session.begin_nested():
            challenge = self_service.start(session, settings=settings, requester=Principal.of(user), mailer=mailer,
                                           conversation_ref=ORIGIN)
    except RateLimited:
        return None
    return challenge.request_id


def _request(session: Session, request_id: int) -> SelfServiceRequest:
    found = session.get(SelfServiceRequest, request_id) if request_id > 0 else None
    if found is None or found.conversation_ref != ORIGIN:
        raise InvalidInput(WRONG)
    return found


def needs_code(session: Session, *, request_id: int) -> bool:
    """Whether the request still waits for its code (False once the code was right)."""
    found = session.get(SelfServiceRequest, request_id) if request_id > 0 else None
    return found is None or found.status is not SelfServiceStatus.VERIFIED


def complete(session: Session, *, settings: Settings, request_id: int, code: str, new_password: str) -> RunbookRun:
    """Check the password against the policy, then the code (unless it was right already), then run the reset.

    A wrong code counts as an attempt and raises a `recorded` InvalidInput, as in the chat."""
    request = _request(session, request_id)
    user = accounts.get(session, user_id=request.user_id)
    requester = Principal.of(user)
    password_policy.check(new_password, settings=settings, username=user.username)
    if request.status is not SelfServiceStatus.VERIFIED:
        self_service.verify(session, settings=settings, requester=requester, request_id=request.id, code=code)
    return self_service.reset_password(session, settings=settings, requester=requester, request_id=request.id,
                                       new_password=new_password)
