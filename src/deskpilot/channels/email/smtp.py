"""Receiving mail over SMTP (aiosmtpd): for desks whose mail server forwards to us instead of us polling.

The handler only hands the bytes to `receive`, the same intake the IMAP poller uses. It answers 250 only
after the mail is committed; if the database is unavailable it answers 451, so the sending server keeps
the mail and tries again: nothing is lost in between.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from deskpilot.channels.base import IntakeResult
from deskpilot.channels.email.intake import MailSource, ingest
from deskpilot.config import Settings
from deskpilot.db import unit_of_work
from deskpilot.triage.engine import TriageEngine

log = logging.getLogger(__name__)
LISTENER_MAILBOX = "smtp"


def receive(factory: sessionmaker[Session], *, settings: Settings, triage: TriageEngine, raw: bytes,
            mailbox: str = LISTENER_MAILBOX) -> IntakeResult:
    """Take one mail delivered to the listener, in its own transaction."""
    with unit_of_work(factory) as session:
        return ingest(session, settings=settings, triage=triage, raw=raw, source=MailSource(mailbox))


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
                                           triage=self.triage, raw=raw)
        except (SQLAlchemyError, OSError) as exc:
            log.error("could not store a mail from %s, asked the sender to retry: %s", envelope.mail_from, exc)
            return "451 4.3.0 Temporary failure storing the message; please retry"
        log.info("mail from %s: %s (ticket %s)", envelope.mail_from, result.outcome, result.ticket_id)
        return "250 2.0.0 Message accepted"


def start_listener(factory: sessionmaker[Session], *, settings: Settings, triage: TriageEngine,
                   host: str | None = None, port: int | None = None) -> Controller:
    """Start the SMTP listener in a background thread; call `.stop()` on the result to end it."""
    controller = Controller(IntakeHandler(factory, settings, triage), hostname=host or settings.mail_smtpd_host,
                            port=port or settings.mail_smtpd_port,
                            data_size_limit=max(33_554_432, settings.mail_max_attachment_bytes * 2))
    controller.start()
    return controller
