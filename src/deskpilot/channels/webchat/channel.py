"""The web chat behind the `Channel` contract: its pages (`chat.py`, `chat_agent.py`) are the transport.

A requester's message reaches the assistant on the chat page, turn by turn, with the runtime's assistant; it
is not a message a transport hands over, so `receive` refuses it and says where it goes. An agent's public reply
on a chat's ticket is added through the tickets service (with its permission checks) and told in every
conversation linked to the ticket (`conversations.ticket_updates.relay`).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.channels.base import InboundMessage, IntakeResult
from deskpilot.config import Settings
from deskpilot.conversations import ticket_updates
from deskpilot.errors import InvalidInput
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import Channel as TicketChannel
from deskpilot.tickets.enums import MessageKind
from deskpilot.tickets.schemas import MessageCreate
from deskpilot.triage.engine import TriageEngine


class WebChatChannel:
    """The requester's chat with the assistant and the agents' live chats, on the web pages."""

    name = "webchat"
    ticket_channel = TicketChannel.CHAT

    def receive(self, session: Session, *, settings: Settings, triage: TriageEngine, message: InboundMessage
                ) -> IntakeResult:
        del session, settings, triage, message  # the contract's arguments; nothing here to file them with
        raise InvalidInput("The web chat takes a requester's messages on its page (/chat), where the assistant "
                           "answers each turn; it has no transport that hands messages over.")

    def send_reply(self, session: Session, *, settings: Settings, actor: Principal, ticket_id: int,
                   body: str) -> None:
        del settings  # chat replies need no delivery settings: the chat page shows them
        tickets.add_message(session, actor=actor, ticket_id=ticket_id, data=MessageCreate(
            body=body, kind=MessageKind.PUBLIC_REPLY, channel=TicketChannel.CHAT))
        ticket_updates.relay(session, ticket_id=ticket_id)
