"""The e-mail channel behind the `Channel` contract, for transports that push mail (a listener, a webhook)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.channels.base import InboundMessage, IntakeResult
from deskpilot.channels.email import outbound
from deskpilot.channels.email.intake import MailSource, ingest
from deskpilot.config import Settings
from deskpilot.errors import InvalidInput
from deskpilot.tickets.enums import Channel as TicketChannel
from deskpilot.triage.engine import TriageEngine


def mail_source(message: InboundMessage) -> MailSource:
    """The mailbox position of a message: `position` is IMAP `uidvalidity:uid`, or absent for pushed mail."""
    if message.position is None:
        return MailSource(message.source)
    validity, _, uid = message.position.partition(":")
    if not (validity.isdigit() and uid.isdigit()):
        raise InvalidInput(f"An e-mail position is 'uidvalidity:uid' in digits, not {message.position!r}.")
    return MailSource(message.source, int(validity), int(uid))


class EmailChannel:
    """Mail in (a MIME message, parsed by the channel's pure functions) and agents' replies out (the outbox)."""

    name = "email"
    ticket_channel = TicketChannel.EMAIL

    def receive(self, session: Session, *, settings: Settings, triage: TriageEngine, message: InboundMessage
                ) -> IntakeResult:
        return ingest(session, settings=settings, triage=triage, raw=message.content, source=mail_source(message))

    def send_reply(self, session: Session, *, settings: Settings, actor: Principal, ticket_id: int,
                   body: str) -> None:
        outbound.send_reply(session, settings=settings, actor=actor, ticket_id=ticket_id, body=body)
