"""An agent's public reply or a status change on a chat's ticket, told in the chat it came from.

The tickets area knows nothing of conversations (it is a layer below), so the faces that change a ticket (the
console and the API) call `relay` after the change. What has been told is marked in the conversation's facts,
so calling it twice tells nothing twice, and replies an agent wrote in the chat itself (mirrored onto the
ticket) are not repeated.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.models import User
from deskpilot.conversations import service
from deskpilot.conversations.models import Conversation, ConversationMessage
from deskpilot.conversations.state import Author, Speaker
from deskpilot.tickets.enums import MessageKind, TicketStatus
from deskpilot.tickets.models import Ticket, TicketMessage

RELAYED = "relayed"
SYSTEM = Speaker(Author.SYSTEM)
_TOLD = {TicketStatus.WAITING_ON_CUSTOMER: "is waiting for your answer: reply here or on the ticket",
         TicketStatus.RESOLVED: "has been resolved. If the problem is back, reply on the ticket to reopen it",
         TicketStatus.CLOSED: "has been closed", TicketStatus.IN_PROGRESS: "is being worked on"}


def relay(session: Session, *, ticket_id: int) -> list[ConversationMessage]:
    """Tell every conversation linked to the ticket what is new on it; returns the messages added."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        return []
    linked = session.scalars(select(Conversation).where(Conversation.ticket_id == ticket_id)
                             .order_by(Conversation.id)).all()
    return [message for conversation in linked for message in _relay_one(session, conversation, ticket)]


def _author_name(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return (user.full_name or user.username) if user else "The service desk"


def _said_in_chat(conversation: Conversation, reply: TicketMessage) -> bool:
    return any(m.author_kind is Author.AGENT and m.author_id == reply.author_id and m.body == reply.body
               for m in conversation.messages)


def _relay_one(session: Session, conversation: Conversation, ticket: Ticket) -> list[ConversationMessage]:
    mark: dict[str, Any] = dict(conversation.facts.get(RELAYED, {}))
    replies = session.scalars(select(TicketMessage).where(
        TicketMessage.ticket_id == ticket.id, TicketMessage.kind == MessageKind.PUBLIC_REPLY,
        TicketMessage.id > int(mark.get("message_id", 0)), TicketMessage.author_id.is_not(None),
        TicketMessage.author_id != ticket.requester_id).order_by(TicketMessage.id)).all()
    told = []
    for reply in replies:
        mark["message_id"] = reply.id
        if not _said_in_chat(conversation, reply):
            told.append(service.say(session, conversation, SYSTEM,
                                    f"{_author_name(session, reply.author_id)} from the service desk replied on "
                                    f"DP-{ticket.id}: {reply.body}"))
    if ticket.status is not TicketStatus(mark.get("status", TicketStatus.NEW)):
        mark["status"] = ticket.status.value
        if ticket.status in _TOLD:
            told.append(service.say(session, conversation, SYSTEM, f"DP-{ticket.id} {_TOLD[ticket.status]}."))
    conversation.facts = conversation.facts | {RELAYED: mark}
    return told
