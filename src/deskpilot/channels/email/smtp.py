"""Receiving mail over SMTP (aiosmtpd): for desks whose mail server forwards to us instead of us polling.

The handler only hands the bytes to `receive`, the same intake the IMAP poller uses. It answers 250 only
after the mail is committed; if the database is unavailable it answers 451, so the sending server keeps
the mail and tries again: nothing is lost in between.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, AnyStr

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from deskpilot.channels.base import IntakeResult
from deskpilot.channels.email.intake import MailSource, ingest
from deskpilot.config import Settings
from deskpilot.db import unit_of_work
from deskpilot.triage.engine import TriageEngine

log = logging.getLogger(__name__)
LISTENER_MAILBOX = "smtp"
_DATA_LINE_TOO_LONG = "500 Line too long (see RFC5321 4.5.3.1.6)"
_OVERSIZE = "552 5.3.4 Message size exceeds the fixed maximum message size"


def receive(factory: sessionmaker[Session], *, settings: Settings, triage: TriageEngine, raw: bytes,
            mailbox: str = LISTENER_MAILBOX, envelope_sender: str | None = None) -> IntakeResult:
    """Take one mail delivered to the listener, in its own transaction. `envelope_sender` is the SMTP
    `MAIL FROM` ("" for the null sender `<>` of bounces and auto-replies)."""
    with unit_of_work(factory) as session:
        return ingest(session, settings=settings, triage=triage, raw=raw, source=MailSource(mailbox),
                      envelope_sender=envelope_sender)


def envelope_sender(mail_from: str | None) -> str:
    """The `MAIL FROM` address, "" for the null sender (aiosmtpd reports `MAIL FROM:<>` as "<>")."""
    address = (mail_from or "").strip()
    return "" if address in ("", "<>") else address


class IntakeHandler:
    """aiosmtpd handler: every accepted mail goes through `receive` off the event loop."""

    def __init__(self, factory: sessionmaker[Session], settings: Settings, triage: TriageEngine) -> None:
        self.factory = factory
        self.settings = settings
        self.triage = triage

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            result = await asyncio.to_thread(receive, self.factory, settings=self.settings,
                                             triage=self.triage, raw=raw,
                                             envelope_sender=envelope_sender(envelope.mail_from))
        except (SQLAlchemyError, OSError) as exc:
            log.error("could not store a mail from %s, asked the sender to retry: %s", envelope.mail_from, exc)
            return "451 4.3.0 Temporary failure storing the message; please retry"
        log.info("mail from %s: %s (ticket %s)", envelope.mail_from, result.outcome, result.ticket_id)
        return "250 2.0.0 Message accepted"


class LongLineSMTP(SMTP):
    """aiosmtpd's SMTP with real servers' tolerance: RFC 5321's 1,000-byte line limit is not enforced
    (Outlook and HTML mailers exceed it), only the message size limit, which refuses with 552."""

    def __init__(self, handler: IntakeHandler, *, max_message_bytes: int, **kwargs: Any) -> None:
        self.line_length_limit = max_message_bytes
        super().__init__(handler, data_size_limit=max_message_bytes, **kwargs)

    async def push(self, status: AnyStr) -> None:
        # A data line longer than the line limit is longer than the whole message may be: answer as
        # for any oversize mail (aiosmtpd would answer 500, which reads as a protocol error).
        if status == _DATA_LINE_TOO_LONG:
            await super().push(_OVERSIZE)
            return
        await super().push(status)


class IntakeController(Controller):
    """The listener thread, serving `LongLineSMTP`."""

    def __init__(self, handler: IntakeHandler, *, max_message_bytes: int, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.max_message_bytes = max_message_bytes

    def factory(self) -> SMTP:
        return LongLineSMTP(self.handler, max_message_bytes=self.max_message_bytes, **self.SMTP_kwargs)


def start_listener(factory: sessionmaker[Session], *, settings: Settings, triage: TriageEngine,
                   host: str | None = None, port: int | None = None) -> Controller:
    """Start the SMTP listener in a background thread; call `.stop()` on the result to end it."""
    controller = IntakeController(IntakeHandler(factory, settings, triage),
                                  max_message_bytes=settings.mail_max_message_bytes,
                                  hostname=host or settings.mail_smtpd_host, port=port or settings.mail_smtpd_port)
    controller.start()
    return controller
