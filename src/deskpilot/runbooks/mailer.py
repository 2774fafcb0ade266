"""Sending one-time codes: straight over the configured SMTP server (`mailserver.smtp`, the transport the e-mail
channel sends with), never through the outbox table, so the code is not stored anywhere in clear."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

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
