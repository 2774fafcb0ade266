"""Sending one-time codes: straight over the configured SMTP server (`mailserver.smtp`, the transport the e-mail
channel sends with), never through the outbox table, so the code is not stored in the database in clear.

Without an SMTP server (`make demo`, a desk on a laptop) each mail is written as an .eml file into the mail drop,
DATA_DIR/mail-drop/, readable only by the desk's own system user: whoever can read it stands where the mail server
would, like Django's file e-mail backend or a local MailHog."""

from __future__ import annotations

import os
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol
from uuid import uuid4

from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.errors import ProviderError
from deskpilot.mailserver.smtp import SmtpTransport


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class SmtpMailer:
    settings: Settings

    def send(self, message: EmailMessage) -> None:
        """Hand the mail to DESKPILOT_MAIL_SMTP_HOST; a failure is a retryable provider error."""
        if not self.settings.mail_smtp_host:
            raise ProviderError("No SMTP server is configured (DESKPILOT_MAIL_SMTP_HOST) to send the code.")
        try:
            SmtpTransport.from_settings(self.settings).send(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise ProviderError(f"The verification code could not be sent: {exc}", retryable=True) from exc


@dataclass(frozen=True)
class MailDrop:
    settings: Settings

    def send(self, message: EmailMessage) -> None:
        """Write the mail to DATA_DIR/mail-drop/<time>-<id>.eml (owner-only); a failure is a provider error."""
        folder = self.settings.mail_drop_dir
        name = f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid4().hex[:8]}.eml"
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            with open(folder / name, "xb", opener=_owner_only) as handle:
                handle.write(message.as_bytes())
        except OSError as exc:
            raise ProviderError(f"The verification code could not be written to {folder}: {exc}; check that the "
                                "desk may write to its data directory (DESKPILOT_DATA_DIR).") from exc


def _owner_only(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


def mailer_for(settings: Settings) -> Mailer:
    """SMTP when DESKPILOT_MAIL_SMTP_HOST is set, else the mail drop."""
    return SmtpMailer(settings) if settings.mail_smtp_host else MailDrop(settings)
