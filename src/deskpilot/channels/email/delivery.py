"""Sending the outbox over SMTP: one mail per transaction, retried with backoff, never dropped.

A temporary failure (connection refused, 4xx) schedules the next attempt after a doubling delay; a
permanent refusal (5xx) or running out of attempts marks the mail failed, where it stays visible and
can be re-queued (`deskpilot mail send --retry-failed`). A crash between the SMTP hand-over and the
commit sends that one mail again with the same Message-ID, which receivers recognise as a duplicate.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from deskpilot.channels.email import outbound
from deskpilot.channels.email.enums import OutboundKind, OutboundStatus
from deskpilot.channels.email.models import OutboundMail
from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.db import unit_of_work
from deskpilot.governance import connections
from deskpilot.mailserver.smtp import MailTransport, SmtpTransport

log = logging.getLogger(__name__)
_MAX_BACKOFF = timedelta(hours=6)


def build_message(mail: OutboundMail, *, sender_name: str = "Service desk") -> EmailMessage:
    """The RFC 5322 message for an outbox row, with its threading headers."""
    message = EmailMessage()
    message["From"] = formataddr((sender_name, mail.from_address))
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = f"<{mail.message_id}>"
    if mail.in_reply_to:
        message["In-Reply-To"] = f"<{mail.in_reply_to}>"
    if mail.references:
        message["References"] = " ".join(f"<{ref}>" for ref in mail.references)
    # Our own auto-replies must not start loops with other robots.
    message["Auto-Submitted"] = "auto-replied" if mail.kind is OutboundKind.ACKNOWLEDGEMENT else "no"
    message.set_content(mail.body)
    return message


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    queued: int = 0

    def summary(self) -> str:
        return f"mail send: {self.sent} sent, {self.retrying} to retry, {self.failed} failed"


def _due_ids(session: Session, limit: int) -> list[int]:
    return list(session.scalars(select(OutboundMail.id).where(
        OutboundMail.status == OutboundStatus.QUEUED, OutboundMail.next_attempt_at <= utcnow())
        .order_by(OutboundMail.next_attempt_at, OutboundMail.id).limit(limit)))


def _lock(session: Session, mail_id: int) -> OutboundMail | None:
    query = select(OutboundMail).where(OutboundMail.id == mail_id, OutboundMail.status == OutboundStatus.QUEUED)
    if session.get_bind().dialect.name == "postgresql":
        # Two senders never hand the same mail over twice; the loser moves on to the next one.
        query = query.with_for_update(skip_locked=True)
    return session.scalar(query)


def _backoff(settings: Settings, attempts: int) -> timedelta:
    delay = timedelta(seconds=settings.mail_send_backoff_seconds * 2 ** min(attempts - 1, 20))
    return min(delay, _MAX_BACKOFF)


def _record_failure(mail: OutboundMail, settings: Settings, exc: Exception, report: DeliveryReport) -> None:
    mail.attempts += 1
    mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    permanent = isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500
    refused = isinstance(exc, smtplib.SMTPRecipientsRefused)
    if permanent or refused or mail.attempts >= settings.mail_send_max_attempts:
        mail.status = OutboundStatus.FAILED
        report.failed += 1
        log.error("giving up on mail %s to %s after %d attempt(s): %s", mail.id, mail.to_address, mail.attempts,
                  mail.last_error)
        return
    mail.next_attempt_at = utcnow() + _backoff(settings, mail.attempts)
    report.retrying += 1
    log.warning("mail %s to %s failed (attempt %d), retrying at %s: %s", mail.id, mail.to_address, mail.attempts,
                mail.next_attempt_at.isoformat(), mail.last_error)


def deliver_due(factory: sessionmaker[Session], *, settings: Settings, transport: MailTransport,
                limit: int = 100) -> DeliveryReport:
    """Send the queued mails that are due, each in its own transaction."""
    report = DeliveryReport()
    with factory() as session:
        ids = _due_ids(session, limit)
    for mail_id in ids:
        with unit_of_work(factory) as session:
            mail = _lock(session, mail_id)
            if mail is None:
                continue
            try:
                transport.send(build_message(mail))
            except (smtplib.SMTPException, OSError) as exc:
                _record_failure(mail, settings, exc, report)
                continue
            mail.status, mail.sent_at, mail.attempts = OutboundStatus.SENT, utcnow(), mail.attempts + 1
            mail.last_error = None
            report.sent += 1
    return report


def send_outbox(factory: sessionmaker[Session], *, settings: Settings,
                transport: MailTransport | None = None) -> DeliveryReport:
    """One pass of the outbox: queue staff replies written in the console or API, then send what is due (over
    the SMTP server in force: an administrator's change holds from the next pass)."""
    with unit_of_work(factory) as session:
        settings = connections.in_force(session, settings)
        queued = outbound.queue_pending_replies(session, settings=settings)
    report = deliver_due(factory, settings=settings, transport=transport or SmtpTransport.from_settings(settings))
    report.queued = queued
    return report


def retry_failed(session: Session) -> int:
    """Put every failed mail back in the queue, due now, with its attempt count kept."""
    result = session.execute(update(OutboundMail).where(OutboundMail.status == OutboundStatus.FAILED)
                             .values(status=OutboundStatus.QUEUED, next_attempt_at=utcnow()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
