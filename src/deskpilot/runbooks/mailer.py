"""Sending one-time codes: straight over the configured SMTP server, never through the outbox table,
so the code is not stored anywhere in clear."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from deskpilot.config import Settings
from deskpilot.errors import ProviderError


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class SmtpMailer:
    settings: Settings

    def send(self, message: EmailMessage) -> None:
        """Hand the mail to DESKPILOT_MAIL_SMTP_HOST; a failure is a retryable provider error."""
        s = self.settings
        if not s.mail_smtp_host:
            raise ProviderError("No SMTP server is configured (DESKPILOT_MAIL_SMTP_HOST) to send the code.")
        try:
            with smtplib.SMTP(s.mail_smtp_host, s.mail_smtp_port, timeout=30) as client:
                if s.mail_smtp_starttls:
                    client.starttls()
                if s.mail_smtp_username:
                    client.login(s.mail_smtp_username, s.mail_smtp_password)
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise ProviderError(f"The verification code could not be sent: {exc}", retryable=True) from exc
