"""The outbox: acknowledgements and agents' replies, queued in the transaction that decided to send them.

A queued mail carries its final Message-ID (our domain), In-Reply-To and References from the moment it
is queued, so a retry sends the very same mail and the requester's client threads it correctly.
Delivery is in `delivery.py`.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.enums import Role
from deskpilot.accounts.principal import Principal
from deskpilot.channels.email.enums import OutboundKind
from deskpilot.channels.email.models import InboundMail, OutboundMail
from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.conversations.models import Conversation, ConversationMessage
from deskpilot.conversations.state import Author
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import Channel, MessageKind
from deskpilot.tickets.models import Ticket, TicketMessage
from deskpilot.tickets.schemas import MessageCreate

_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|antw|fwd?|wg)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_MAX_REFERENCES = 20
_STAFF = (Role.AGENT, Role.LEAD, Role.ADMIN)


def new_message_id(settings: Settings, ticket_id: int) -> str:
    """A fresh Message-ID in our domain (unguessable, so only real thread members can reply onto it)."""
    return f"dp.{ticket_id}.{secrets.token_hex(10)}@{settings.mail_domain}"


def reply_subject(subject: str, ticket_id: int) -> str:
    """`Re: <subject> [DP-n]`, without stacking prefixes or tags."""
    tag = f"[DP-{ticket_id}]"
    bare = " ".join(_REPLY_PREFIX.sub("", subject).split()) or "(no subject)"
    return f"Re: {bare}" if tag.lower() in bare.lower() else f"Re: {bare} {tag}"


def _thread_ids(session: Session, ticket_id: int) -> tuple[str | None, list[str]]:
    """The latest mail of the requester (to reply to) and the thread's ids, oldest first."""
    inbound = session.execute(select(InboundMail.message_id, InboundMail.received_at)
                              .where(InboundMail.ticket_id == ticket_id)).all()
    ours = session.execute(select(OutboundMail.message_id, OutboundMail.created_at)
                           .where(OutboundMail.ticket_id == ticket_id)).all()
    ordered = [mid for mid, _ in sorted([*inbound, *ours], key=lambda row: row[1])]
    latest_inbound = max(inbound, key=lambda row: row[1])[0] if inbound else None
    return latest_inbound, ordered[-_MAX_REFERENCES:]


def _queue(session: Session, *, settings: Settings, ticket: Ticket, kind: OutboundKind, body: str,
           message: TicketMessage | None = None) -> OutboundMail:
    in_reply_to, references = _thread_ids(session, ticket.id)
    requester = accounts.get(session, user_id=ticket.requester_id)
    mail = OutboundMail(
        kind=kind, ticket_id=ticket.id, ticket_message_id=message.id if message else None,
        message_id=new_message_id(settings, ticket.id), in_reply_to=in_reply_to, references=references,
        from_address=settings.mail_address, to_address=requester.email,
        subject=reply_subject(ticket.subject, ticket.id)[:998], body=body, next_attempt_at=utcnow(),
        created_at=utcnow(),
    )
    session.add(mail)
    session.flush()
    return mail


def queue_acknowledgement(session: Session, *, settings: Settings, ticket_id: int) -> OutboundMail:
    """Tell the sender their mail became ticket DP-n (threaded onto their mail)."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise ValueError(f"ticket {ticket_id} vanished inside its own transaction")
    body = (f"Hello,\n\nwe have received your request and opened ticket DP-{ticket.id}: {ticket.subject}\n\n"
            "An agent will answer you by e-mail. To add information, reply to this message and keep "
            f"[DP-{ticket.id}] in the subject.\n\n-- \nService desk\n")
    return _queue(session, settings=settings, ticket=ticket, kind=OutboundKind.ACKNOWLEDGEMENT, body=body)


def record_first_response(session: Session, *, ticket_id: int, at: datetime) -> None:
    """Stamp every mail of the ticket still waiting for an answer with its handling time."""
    waiting = session.scalars(select(InboundMail).where(
        InboundMail.ticket_id == ticket_id, InboundMail.first_response_at.is_(None),
        InboundMail.received_at <= at))
    for inbound in waiting:
        inbound.first_response_at = at
        inbound.first_response_minutes = round((at - inbound.received_at).total_seconds() / 60, 2)


def queue_reply(session: Session, *, settings: Settings, message: TicketMessage) -> OutboundMail:
    """Queue an agent's public reply (already on the ticket) to the requester, threaded."""
    ticket = session.get(Ticket, message.ticket_id)
    if ticket is None:
        raise ValueError(f"ticket {message.ticket_id} of message {message.id} does not exist")
    mail = _queue(session, settings=settings, ticket=ticket, kind=OutboundKind.REPLY, body=message.body,
                  message=message)
    record_first_response(session, ticket_id=ticket.id, at=message.created_at)
    session.flush()
    return mail


def send_reply(session: Session, *, settings: Settings, actor: Principal, ticket_id: int, body: str,
               ai_assisted: bool = False) -> OutboundMail:
    """An agent's approved reply: added to the ticket (with its permission checks) and queued to send."""
    message = tickets.add_message(session, actor=actor, ticket_id=ticket_id, data=MessageCreate(
        body=body, kind=MessageKind.PUBLIC_REPLY, channel=Channel.EMAIL, ai_assisted=ai_assisted))
    return queue_reply(session, settings=settings, message=message)


def queue_pending_replies(session: Session, *, settings: Settings) -> int:
    """Queue staff public replies on mail-born tickets that no outbox row carries yet.

    Replies posted in the console or the API land on the ticket only; this sweep (run before each
    delivery) turns them into mail. Only messages written after the ticket's first mail count, so
    imported history is never sent.
    """
    first_mail = (select(InboundMail.ticket_id, func.min(InboundMail.received_at).label("received_at"))
                  .where(InboundMail.ticket_id.is_not(None)).group_by(InboundMail.ticket_id).subquery())
    queued = select(OutboundMail.ticket_message_id).where(OutboundMail.ticket_message_id.is_not(None))
    candidates = session.scalars(
        select(TicketMessage).join(Ticket, Ticket.id == TicketMessage.ticket_id)
        .join(first_mail, first_mail.c.ticket_id == Ticket.id)
        .where(TicketMessage.kind == MessageKind.PUBLIC_REPLY, TicketMessage.author_id.is_not(None),
               TicketMessage.author_id != Ticket.requester_id, TicketMessage.created_at >= first_mail.c.received_at,
               TicketMessage.id.not_in(queued))
        .order_by(TicketMessage.id)).all()
    count = 0
    for message in [*candidates, *_unseen_chat_replies(session, settings=settings, queued=queued)]:
        author = accounts.get(session, user_id=message.author_id) if message.author_id else None
        if author is not None and author.role in _STAFF:
            queue_reply(session, settings=settings, message=message)
            count += 1
    return count


def _unseen_chat_replies(session: Session, *, settings: Settings, queued: Select[Any]) -> list[TicketMessage]:
    """Staff replies on a chat's ticket written after the requester left the chat: after it ended, or after
    their last message when they have not written for `chat_away_minutes`. The chat shows them too; the mail
    reaches someone who is no longer looking."""
    last_said = (select(ConversationMessage.conversation_id, func.max(ConversationMessage.created_at).label("at"))
                 .where(ConversationMessage.author_kind == Author.REQUESTER)
                 .group_by(ConversationMessage.conversation_id).subquery())
    rows = session.execute(
        select(TicketMessage, Conversation.resolved_at, last_said.c.at)
        .join(Conversation, Conversation.ticket_id == TicketMessage.ticket_id)
        .join(last_said, last_said.c.conversation_id == Conversation.id)
        .join(Ticket, Ticket.id == TicketMessage.ticket_id)
        .where(TicketMessage.kind == MessageKind.PUBLIC_REPLY, TicketMessage.author_id.is_not(None),
               TicketMessage.author_id != Ticket.requester_id, TicketMessage.created_at > last_said.c.at,
               TicketMessage.id.not_in(queued), Ticket.id.not_in(select(InboundMail.ticket_id).where(
                   InboundMail.ticket_id.is_not(None))))
        .order_by(TicketMessage.id)).all()
    away = utcnow() - timedelta(minutes=settings.chat_away_minutes)
    return list(dict.fromkeys(message for message, ended, at in rows
                              if (message.created_at >= ended if ended is not None else at <= away)))
