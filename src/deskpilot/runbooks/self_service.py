"""Self-service password reset, for the chat: offer → one-time code to the e-mail on file → policy check
→ run the approved `password-reset` runbook on the requester's OWN account → confirm.

The conversation flow calls these functions; nothing here reads chat text. Text can at most lead to an
offer: the account is always the signed-in requester's own (found through the configured attribute
mapping), and nothing runs before the code sent to their e-mail on file is entered.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta
from email.message import EmailMessage
from typing import NoReturn

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.enums import Role
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.clock import utcnow
from deskpilot.config import LdapMatchField, Settings
from deskpilot.errors import InvalidInput, NotFound, PermissionDenied, RateLimited
from deskpilot.runbooks import executor, password_policy
from deskpilot.runbooks.enums import RunStatus, SelfServiceStatus
from deskpilot.runbooks.mailer import Mailer
from deskpilot.runbooks.models import RunbookRun, SelfServiceRequest
from deskpilot.runbooks.steps import DirectoryFactory, LazyDirectory
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import Channel, MessageKind, TicketStatus
from deskpilot.tickets.schemas import MessageCreate, TicketCreate

RUNBOOK = "password-reset"
OFFER_INTENTS = frozenset({"password_reset", "account_locked"})
AUTOMATION = Principal.system("self-service")
_STARTS_PER_HOUR = 5


@dataclass(frozen=True)
class Challenge:
    request_id: int
    sent_to: str
    expires_in_minutes: int


def should_offer(*, intent: str | None, confidence: float, settings: Settings) -> bool:
    """Whether the assistant may OFFER the reset; accepting still needs the code from the requester's mail."""
    return intent in OFFER_INTENTS and confidence >= settings.self_service_min_confidence


def _code_hash(settings: Settings, request_id: int, code: str) -> str:
    return hmac.new(settings.secret_key.encode(), f"{request_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _masked(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}{'*' * max(len(local) - 1, 1)}@{domain}"


def _own(session: Session, requester: Principal, request_id: int) -> SelfServiceRequest:
    found = session.get(SelfServiceRequest, request_id)
    if found is None or found.user_id != requester.user_id:
        raise NotFound(f"No self-service request #{request_id} of yours.")
    return found


def start(session: Session, *, settings: Settings, requester: Principal, mailer: Mailer,
          conversation_ref: str | None = None, ticket_id: int | None = None) -> Challenge:
    """Send a one-time code to the requester's e-mail on file; only the signed-in user, for themselves."""
    if requester.user_id is None or requester.role is not Role.REQUESTER:
        raise PermissionDenied("Self-service resets are for requesters, for their own account; staff use runbooks.")
    if not settings.ldap_url and not settings.local_passwords:
        raise PermissionDenied("This desk signs in only through single sign-on, so it has no password of yours to "
                               "reset; reset it with your identity provider.")
    since = utcnow() - timedelta(hours=1)
    recent = session.scalar(select(func.count()).select_from(SelfServiceRequest).where(
        SelfServiceRequest.user_id == requester.user_id, SelfServiceRequest.created_at >= since)) or 0
    if recent >= _STARTS_PER_HOUR:
        raise RateLimited("Too many reset attempts in the last hour; try later or ask the service desk.")
    if ticket_id is not None:
        tickets.get(session, actor=requester, ticket_id=ticket_id)
    user = accounts.get(session, user_id=requester.user_id)
    code = f"{secrets.randbelow(1_000_000):06d}"
    request = SelfServiceRequest(user_id=user.id, status=SelfServiceStatus.CODE_SENT, code_hash="", attempts=0,
                                 expires_at=utcnow() + timedelta(minutes=settings.self_service_code_minutes),
                                 conversation_ref=conversation_ref, ticket_id=ticket_id, created_at=utcnow())
    session.add(request)
    session.flush()
    request.code_hash = _code_hash(settings, request.id, code)
    message = EmailMessage()
    message["From"], message["To"] = settings.mail_address, user.email
    message["Subject"] = "Your password reset code"
    message.set_content(f"Hello {user.full_name},\n\nyour code to reset your password is {code}.\nIt is valid for "
                        f"{settings.self_service_code_minutes} minutes. If you did not ask for it, ignore this mail "
                        "and tell the service desk.\n\n-- \nService desk\n")
    mailer.send(message)
    session.flush()
    _audit(session, requester, "self_service.code_sent", request)
    return Challenge(request.id, _masked(user.email), settings.self_service_code_minutes)


def _audit(session: Session, actor: Principal, action: str, request: SelfServiceRequest, **after: object) -> None:
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action=action,
                 subject_type="self_service_request", subject_id=request.id,
                 after={"status": request.status, "ticket_id": request.ticket_id,
                        "conversation_ref": request.conversation_ref, **after})


def verify(session: Session, *, settings: Settings, requester: Principal, request_id: int, code: str) -> None:
    """Check the code (constant time, expiry); the request becomes verified.

    Every try is counted by one atomic update before the code is compared, so parallel tries cannot share an
    attempt; `self_service_code_attempts` wrong ones lock the code (the right one is refused then: ask for a new
    code). Each refusal is audited and raised as a `recorded` error: the count and the audit row are
    committed although the request fails.
    """
    spent = session.scalar(update(SelfServiceRequest).where(
        SelfServiceRequest.id == request_id, SelfServiceRequest.user_id == (requester.user_id or 0),
        SelfServiceRequest.status == SelfServiceStatus.CODE_SENT,
        SelfServiceRequest.attempts < settings.self_service_code_attempts,
    ).values(attempts=SelfServiceRequest.attempts + 1).returning(SelfServiceRequest.id)
        .execution_options(synchronize_session=False))
    request = _own(session, requester, request_id)
    session.refresh(request)
    if request.status is SelfServiceStatus.CODE_SENT and request.expires_at < utcnow():
        request.status = SelfServiceStatus.FAILED
        _reject(session, requester, request, "expired", "The code has expired; ask for a new one.")
    if spent is None or request.status is not SelfServiceStatus.CODE_SENT:
        done = request.status in (SelfServiceStatus.VERIFIED, SelfServiceStatus.COMPLETED)
        if not done:
            request.status = SelfServiceStatus.FAILED
        _reject(session, requester, request, "not_waiting" if done else "locked",
                "This code can no longer be used; ask for a new code and start again.")
    if not hmac.compare_digest(request.code_hash, _code_hash(settings, request.id, code.strip())):
        if request.attempts >= settings.self_service_code_attempts:
            request.status = SelfServiceStatus.FAILED
            _reject(session, requester, request, "wrong_code", f"That code is not right, and after "
                    f"{request.attempts} wrong tries it is locked; ask for a new code.")
        _reject(session, requester, request, "wrong_code", "That code is not right.")
    request.status = SelfServiceStatus.VERIFIED
    _audit(session, requester, "self_service.verified", request)


def _reject(session: Session, requester: Principal, request: SelfServiceRequest, reason: str,
            message: str) -> NoReturn:
    _audit(session, requester, "self_service.code_rejected", request, attempts=request.attempts, reason=reason)
    session.flush()
    raise InvalidInput(message, recorded=True)


def is_failed(session: Session, *, request_id: int) -> bool:
    """Whether the request can take no more codes (expired or out of attempts): the requester starts again."""
    found = session.get(SelfServiceRequest, request_id)
    return found is None or found.status is SelfServiceStatus.FAILED


def _account_name(settings: Settings, requester: Principal, session: Session, directory: LazyDirectory) -> str:
    """The requester's own directory user name, found by the configured mapping (never from chat text)."""
    if requester.user_id is None:
        raise PermissionDenied("Self-service resets are for signed-in requesters.")
    user = accounts.get(session, user_id=requester.user_id)
    if settings.ldap_match_field is LdapMatchField.EMAIL:
        return directory().find_user_by(settings.ldap_mail_attribute, user.email).name
    return directory().find_user(user.username).name


def reset_password(session: Session, *, settings: Settings, requester: Principal, request_id: int,
                   new_password: str, directory_factory: DirectoryFactory | None = None) -> RunbookRun:
    """Run the approved password-reset runbook on the requester's own account, after verification."""
    request = _own(session, requester, request_id)
    if request.status is not SelfServiceStatus.VERIFIED or request.expires_at < utcnow():
        raise PermissionDenied("Verify the code from your e-mail first.")
    directory = LazyDirectory(settings, directory_factory, session=session, actor=requester)
    try:
        name = _account_name(settings, requester, session, directory)
    finally:
        directory.close()
    password_policy.check(new_password, settings=settings, username=name)
    if request.ticket_id is None:
        request.ticket_id = tickets.create(session, actor=requester, data=TicketCreate(
            subject="Password reset (self-service)", description="Reset through the assistant after a code "
            "sent to the e-mail on file.", channel=Channel.CHAT)).id
    run_request = executor.RunRequest(runbook=RUNBOOK, parameters={"username": name, "new_password": new_password},
                                      ticket_id=request.ticket_id, idempotency_key=f"self-service-{request.id}")
    plan = executor.dry_run(session, settings=settings, actor=requester, request=run_request,
                            directory_factory=directory_factory, origin="self_service")
    run = executor.execute(session, settings=settings, actor=requester, ticket_actor=AUTOMATION,
                           request=replace(run_request, dry_run_id=plan.id),
                           directory_factory=directory_factory, origin="self_service")
    request.run_id, request.finished_at = run.id, utcnow()
    request.status = SelfServiceStatus.COMPLETED if run.status is RunStatus.SUCCEEDED else SelfServiceStatus.FAILED
    _confirm(session, request=request, succeeded=run.status is RunStatus.SUCCEEDED)
    _audit(session, requester, f"self_service.{request.status}", request, run_id=run.id, automated=True)
    return run


def _confirm(session: Session, *, request: SelfServiceRequest, succeeded: bool) -> None:
    ticket_id = request.ticket_id
    if ticket_id is None:
        return
    body = ("Your password was reset by self-service after you confirmed the code sent to your e-mail. "
            "If you did not do this, tell the service desk at once." if succeeded else
            "The automatic password reset did not succeed; nothing was changed. An agent will help you.")
    tickets.add_message(session, actor=AUTOMATION, ticket_id=ticket_id, data=MessageCreate(
        body=body, kind=MessageKind.PUBLIC_REPLY, channel=Channel.CHAT, ai_assisted=True))
    if succeeded:
        tickets.change_status(session, actor=AUTOMATION, ticket_id=ticket_id, target=TicketStatus.RESOLVED)
