"""The one SMTP transport: STARTTLS, password or OAuth2 (SASL XOAUTH2) sign-in, one connection per mail.

Errors are smtplib's and the socket's, unchanged, so each caller decides what they mean: the outbox retries a
4xx and gives up on a 5xx; a one-time code is a retryable provider error for the requester.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from deskpilot.config import OAuth2Client, Settings
from deskpilot.mailserver.oauth2 import token_source, xoauth2


class MailTransport(Protocol):
    """Hands one finished mail to a mail server."""

    def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class SmtpTransport:
    """SMTP with optional STARTTLS and login, one connection per mail (the volumes are small)."""

    host: str
    port: int
    username: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = 30.0
    oauth2: OAuth2Client | None = None
    tls_ca_file: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpTransport:
        """The transport to `DESKPILOT_MAIL_SMTP_*`."""
        return cls(host=settings.mail_smtp_host, port=settings.mail_smtp_port, username=settings.mail_smtp_username,
                   password=settings.mail_smtp_password, starttls=settings.mail_smtp_starttls,
                   oauth2=settings.mail_smtp_oauth2, tls_ca_file=settings.mail_smtp_tls_ca_file)

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as client:
            if self.starttls:
                # smtplib's STARTTLS verifies no certificate unless given a context: this one checks it.
                client.starttls(context=ssl.create_default_context(cafile=self.tls_ca_file or None))
            if self.oauth2 is not None:
                response = xoauth2(self.username, token_source(self.oauth2).access_token())
                client.ehlo_or_helo_if_needed()
                client.auth("XOAUTH2", lambda challenge=None: "" if challenge else response)
            elif self.username:
                client.login(self.username, self.password)
            client.send_message(message)
