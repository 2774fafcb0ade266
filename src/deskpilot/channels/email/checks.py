""""Test connection" for the mail servers: sign in to an IMAP mailbox and open its folder, or greet the SMTP
server (EHLO, STARTTLS, login) without sending anything; each within a timeout, with what to do on failure."""

from __future__ import annotations

import contextlib
import imaplib
import smtplib
import ssl

from deskpilot.channels.email.imap import connect, select_folder
from deskpilot.config import MailboxSettings, Settings
from deskpilot.errors import ProviderError
from deskpilot.runbooks.directory_check import CheckResult

TIMEOUT_SECONDS = 15.0


def check_imap(mailbox: MailboxSettings) -> CheckResult:
    """Sign in to `mailbox` and open its folder read-only."""
    try:
        client = connect(mailbox, timeout=TIMEOUT_SECONDS)
    except ProviderError as exc:
        refused = isinstance(exc.__cause__, imaplib.IMAP4.error)
        return CheckResult(False, exc.message, "Check the user name and password (or the OAuth2 client)." if refused
                           else "Check the host, the port and SSL (993 with SSL, 143 without), and that this host "
                                "can reach the server.")
    except ValueError as exc:  # a host or user name that cannot be spelled in the protocol (not ASCII/IDNA)
        return CheckResult(False, f"The mailbox settings cannot be used: {exc}", "Check the host and user name.")
    try:
        select_folder(client, mailbox.folder)
    except ProviderError as exc:
        return CheckResult(False, f"Signed in, but {exc.message}", "Check the folder name (INBOX by default).")
    except (OSError, ValueError, imaplib.IMAP4.error) as exc:
        return CheckResult(False, f"Signed in, but the folder {mailbox.folder!r} cannot be opened: {exc}",
                           "Check the folder name (INBOX by default).")
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
    return CheckResult(True, f"Signed in to {mailbox.host}:{mailbox.port} as {mailbox.username} and opened "
                             f"{mailbox.folder}.")


def check_smtp(settings: Settings) -> CheckResult:
    """EHLO, STARTTLS when configured, and login when a user name is set; nothing is sent."""
    host, port = settings.mail_smtp_host, settings.mail_smtp_port
    if not host:
        return CheckResult(False, "No SMTP server is configured.", "Enter the SMTP host and port.")
    try:
        with smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS) as client:
            client.ehlo()
            if settings.mail_smtp_starttls:
                client.starttls(context=ssl.create_default_context(cafile=settings.mail_smtp_tls_ca_file or None))
                client.ehlo()
            if settings.mail_smtp_username:
                client.login(settings.mail_smtp_username, settings.mail_smtp_password)
    except smtplib.SMTPAuthenticationError as exc:
        said = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return CheckResult(False, f"The SMTP server {host}:{port} refused the sign-in: {exc.smtp_code} {said}",
                           "Check the user name and password.")
    except (OSError, ValueError, smtplib.SMTPException) as exc:
        return CheckResult(False, f"The SMTP server {host}:{port} cannot be used: {exc}",
                           "Check the host and port (25, 587 with STARTTLS), STARTTLS, and that this host can "
                           "reach the server.")
    signed = f" and signed in as {settings.mail_smtp_username}" if settings.mail_smtp_username else ""
    return CheckResult(True, f"Greeted {host}:{port}{signed}; nothing was sent.")
