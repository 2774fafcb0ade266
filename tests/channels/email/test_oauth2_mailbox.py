"""XOAUTH2 against a real Dovecot whose oauth2 passdb validates bearer tokens at a local authorization server:
the poller signs in with a token from the refresh-token grant, reuses it until it expires, and a revoked
refresh token is reported with what to do, on both databases. The SMTP sender signs in with XOAUTH2 too."""

from __future__ import annotations

import smtplib
from base64 import b64decode
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from deskpilot.channels.email import imap
from deskpilot.config import MailboxSettings, OAuth2Client, Settings
from deskpilot.errors import ProviderError
from deskpilot.mailserver.oauth2 import forget_tokens
from deskpilot.mailserver.smtp import SmtpTransport
from deskpilot.runbooks.mailer import SmtpMailer
from deskpilot.tickets.models import Ticket
from deskpilot.triage.engine import TriageEngine
from tests.channels.email.conftest import IMAP_USER, Dovecot, free_port, mail, running_dovecot
from tests.channels.email.oauth_provider import CLIENT_ID, REFRESH_TOKEN, Provider, oauth_provider

_OAUTH2_DOVECOT = """
auth_mechanisms = plain login xoauth2 oauthbearer
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/oauth2.conf.ext
}
"""


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with oauth_provider(IMAP_USER) as running:
        yield running


@pytest.fixture(scope="module")
def oauth_dovecot(provider: Provider) -> Iterator[Dovecot]:
    settings = (f"introspection_mode = post\nintrospection_url = {provider.url}/introspect\n"
                "username_attribute = username\nactive_attribute = active\nactive_value = true\n")
    with running_dovecot(_OAUTH2_DOVECOT, {"oauth2.conf.ext": settings}) as server:
        server.client().logout()  # the password still works for the tests' own deliveries
        yield server


def _mailbox(dovecot: Dovecot, provider: Provider, refresh_token: str) -> MailboxSettings:
    return MailboxSettings(name="m365", host=dovecot.host, port=dovecot.port, username=IMAP_USER, ssl=False,
                           folder=dovecot.new_folder(), oauth2=OAuth2Client(
                               token_url=f"{provider.url}/token", client_id=CLIENT_ID, refresh_token=refresh_token))


def test_the_poller_signs_in_with_xoauth2_and_reuses_the_token(
        factory: sessionmaker[Session], mail_settings: Settings, oauth_dovecot: Dovecot, provider: Provider,
        mail_triage: TriageEngine) -> None:
    forget_tokens()
    refreshes = provider.refreshes
    mailbox = _mailbox(oauth_dovecot, provider, REFRESH_TOKEN)
    settings = mail_settings.model_copy(update={"mail_mailboxes": [mailbox]})
    oauth_dovecot.append(mailbox.folder, mail(message_id="oauth-1@acme.example"))
    first = imap.poll_once(factory, settings=settings, triage=mail_triage)
    oauth_dovecot.append(mailbox.folder, mail(message_id="oauth-2@acme.example", subject="Second"))
    second = imap.poll_once(factory, settings=settings, triage=mail_triage)

    assert not first.errors and not second.errors and first.taken == second.taken == 1
    assert provider.refreshes == refreshes + 1, "one token for both passes"
    assert provider.introspections >= 2, "Dovecot validated the bearer token at each sign-in"
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 2


def test_a_revoked_refresh_token_is_reported_with_what_to_do(
        factory: sessionmaker[Session], mail_settings: Settings, oauth_dovecot: Dovecot, provider: Provider,
        mail_triage: TriageEngine) -> None:
    forget_tokens()
    mailbox = _mailbox(oauth_dovecot, provider, "revoked-token")
    settings = mail_settings.model_copy(update={"mail_mailboxes": [mailbox]})
    oauth_dovecot.append(mailbox.folder, mail(message_id="oauth-3@acme.example"))
    report = imap.poll_once(factory, settings=settings, triage=mail_triage)
    [error] = report.errors
    assert "refresh token revoked" in error
    assert "sign the mailbox in again" in error and report.taken == 0


class _XOAuth2Sink:
    """An SMTP server that accepts mail only after AUTH XOAUTH2 with a token the provider issued."""

    def __init__(self, provider: Provider) -> None:
        self.provider, self.received = provider, 0

    async def auth_XOAUTH2(self, _server: object, args: list[str]) -> AuthResult:  # noqa: N802 - aiosmtpd's hook
        fields = dict(part.split("=", 1) for part in b64decode(args[1]).decode().split("\x01") if "=" in part)
        token = fields.get("auth", "").removeprefix("Bearer ")
        accepted = fields.get("user") == IMAP_USER and token in self.provider.issued
        return AuthResult(success=accepted, handled=False)  # a refusal is answered 535 by aiosmtpd

    async def handle_DATA(self, _server: object, _session: object, _envelope: object) -> str:  # noqa: N802
        self.received += 1
        return "250 OK"


def test_the_sender_signs_in_to_smtp_with_xoauth2(provider: Provider) -> None:
    forget_tokens()
    sink = _XOAuth2Sink(provider)
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), auth_require_tls=False,
                            auth_required=True)
    controller.start()
    try:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "desk@desk.example", "jane@acme.example", "Re: VPN"
        message.set_content("Restart the laptop, please.")
        client = OAuth2Client(token_url=f"{provider.url}/token", client_id=CLIENT_ID, refresh_token=REFRESH_TOKEN)
        SmtpTransport(host="127.0.0.1", port=controller.port, username=IMAP_USER, oauth2=client).send(message)
        assert sink.received == 1
        with pytest.raises(smtplib.SMTPAuthenticationError):
            SmtpTransport(host="127.0.0.1", port=controller.port, username="someone-else", oauth2=client).send(message)
    finally:
        controller.stop()


def test_one_time_codes_go_through_the_same_transport_and_sign_in_with_xoauth2(
        provider: Provider, mail_settings: Settings) -> None:
    forget_tokens()
    sink = _XOAuth2Sink(provider)
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), auth_require_tls=False,
                            auth_required=True)
    controller.start()
    try:
        client = OAuth2Client(token_url=f"{provider.url}/token", client_id=CLIENT_ID, refresh_token=REFRESH_TOKEN)
        settings = mail_settings.model_copy(update={"mail_smtp_host": "127.0.0.1", "mail_smtp_port": controller.port,
                                                    "mail_smtp_username": IMAP_USER, "mail_smtp_oauth2": client})
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "desk@desk.example", "jane@acme.example", "Your code"
        message.set_content("123456")
        SmtpMailer(settings).send(message)
        assert sink.received == 1
        stranger = settings.model_copy(update={"mail_smtp_username": "someone-else"})
        with pytest.raises(ProviderError, match="could not be sent") as refused:
            SmtpMailer(stranger).send(message)
        assert refused.value.retryable and sink.received == 1
    finally:
        controller.stop()
