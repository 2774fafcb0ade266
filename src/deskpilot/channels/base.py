"""The contract of a channel adapter: an inbound message goes to intake, an agent's reply goes out.

A channel is a thin face (e-mail today; the web chat, Teams and Slack later). Its transport (an IMAP
poller, an SMTP listener, a bot endpoint) delivers an `InboundMessage` exactly as received; the channel's
pure parsing functions turn it into domain objects, and `receive` files it through the intake flow inside
the caller's transaction. `send_reply` puts an agent's reply on the ticket (with the tickets service's
permission checks) and queues it for the channel's own delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.config import Settings
from deskpilot.tickets.enums import Channel as TicketChannel
from deskpilot.triage.engine import TriageEngine


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One message as the transport delivered it.

    `source` is the stable key of where it came from (a mailbox, a chat room); `position` is where the
    transport was (IMAP `uidvalidity:uid`), so a redelivered message is recognised before it is parsed.
    """

    source: str
    content: bytes
    position: str | None = None


class IntakeOutcome(StrEnum):
    TICKET_CREATED = "ticket_created"
    THREADED = "threaded"
    IGNORED = "ignored"
    FAILED = "failed"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class IntakeResult:
    """What became of an inbound message: the channel's record of it and the ticket it landed on."""

    outcome: IntakeOutcome
    inbound_id: int | None = None
    ticket_id: int | None = None


@runtime_checkable
class Channel(Protocol):
    """A channel adapter, registered under its `name` in the `deskpilot.channels` entry point group."""

    @property
    def name(self) -> str: ...

    @property
    def ticket_channel(self) -> TicketChannel:
        """The channel recorded on tickets and messages that come this way."""

    def receive(self, session: Session, *, settings: Settings, triage: TriageEngine, message: InboundMessage
                ) -> IntakeResult:
        """File one inbound message (new ticket or reply on one) in the caller's transaction, a new ticket
        triaged with the runtime's `triage` engine; receiving the same message again changes nothing."""

    def send_reply(self, session: Session, *, settings: Settings, actor: Principal, ticket_id: int,
                   body: str) -> None:
        """Add `actor`'s public reply to the ticket and queue it to reach the requester on this channel."""
