"""Use cases of conversations that need no AI: access, create, read, join, hand back, close, CSAT.

Services flush; the caller's unit of work commits. A conversation someone may not see is reported as not
found, so its existence is not leaked. Every state change goes through `state.apply` and is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select, true, update
from sqlalchemy.orm import Session

from deskpilot.accounts.models import User
from deskpilot.accounts.permissions import Permission, has, require
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.conversations import state as machine
from deskpilot.conversations.enums import Resolution
from deskpilot.conversations.models import Conversation, ConversationMessage
from deskpilot.conversations.state import Author, ConversationEvent, ConversationState, Owner, Speaker
from deskpilot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from deskpilot.tickets import requester_limits
from deskpilot.tickets import service as tickets
from deskpilot.tickets.access import can_work
from deskpilot.tickets.enums import Channel, MessageKind
from deskpilot.tickets.models import Queue, Ticket
from deskpilot.tickets.schemas import MessageCreate

MAX_MESSAGE = 8_000
MAX_COMMENT = 2_000
SCOPE_STATEMENT = (
    "Hello, I am the deskpilot assistant. I answer from the service desk's approved help articles and show my "
    "sources, I can walk you through troubleshooting steps one at a time, and I open a ticket with everything "
    "we tried when that does not solve it. I change nothing on my own: the only change I can make is resetting "
    "your own password, with an automation the service desk approved, after you enter a code we e-mail you. Type "
    "\u201ctalk to a human\u201d or use the button at any time to reach a person.")
RATING_QUESTION = ("This conversation is closed. How did we do? Rate it from 1 (poor) to 5 (excellent); a comment "
                   "helps too.")
# Ownership changes and endings are audited; each answer and step is an AI decision record already. (The audit
# chain serialises writers, so auditing every turn would also serialise every chat.)
AUDITED = frozenset({ConversationEvent.HANDOFF, ConversationEvent.AGENT_JOINED, ConversationEvent.HANDED_BACK,
                     ConversationEvent.CLOSED, ConversationEvent.SOLVED, ConversationEvent.TICKET_OPENED})
WAITING = (ConversationState.WAITING_FOR_HUMAN, ConversationState.TICKET_CREATED)


def check_body(body: str) -> str:
    """The message text to store, or InvalidInput saying what to change."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InvalidInput("Write a message before sending it.")
    if len(text) > MAX_MESSAGE:
        raise InvalidInput(f"The message is too long: {len(text):,} characters, and the limit is {MAX_MESSAGE:,}. "
                           "For logs or error output, paste only the lines around the error.")
    if "\x00" in text:
        raise InvalidInput("The message contains a NUL character, which cannot be stored. Remove it and try again.")
    return text.strip()


def _visible_clause(actor: Principal) -> ColumnElement[bool]:
    if has(actor, Permission.TICKET_READ_ALL):
        return true()
    if actor.user_id is None:
        return false()
    own = Conversation.requester_id == actor.user_id
    if not has(actor, Permission.TICKET_WORK):
        return own
    team_queues = select(Queue.id).where(Queue.team_id.in_(actor.team_ids))
    team_tickets = select(Ticket.id).where(or_(Ticket.queue_id.in_(team_queues), Ticket.queue_id.is_(None),
                                               Ticket.assignee_id == actor.user_id))
    return or_(own, Conversation.owner_agent_id == actor.user_id, Conversation.ticket_id.in_(team_tickets))


def get(session: Session, *, actor: Principal, conversation_id: int, lock: bool = False) -> Conversation:
    """The conversation if `actor` may see it (their own, or an agent's per their queues); NotFound otherwise.

    `lock` takes the row lock that serialises the turns of one conversation (PostgreSQL; SQLite serialises
    writers anyway).
    """
    query = select(Conversation).where(Conversation.id == conversation_id, _visible_clause(actor))
    if lock and session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: a no-op write takes the database's write lock now, so this turn queues
        # behind others instead of failing when it writes later (see transactions.py).
        session.execute(update(Conversation).where(Conversation.id == conversation_id)
                        .values(updated_at=Conversation.updated_at))
    found = session.scalar(query.with_for_update(of=Conversation) if lock else query)
    if found is None:
        raise NotFound(f"No conversation #{conversation_id} that you can see.")
    return found


def get_all(session: Session, *, actor: Principal, states: Sequence[ConversationState] = (),
            mine: bool = False, limit: int = 50) -> list[Conversation]:
    """Conversations `actor` may see, most recently active first; `mine` keeps only those they asked in."""
    query = select(Conversation).where(_visible_clause(actor))
    if mine:
        query = query.where(Conversation.requester_id == (actor.user_id or 0))
    if states:
        query = query.where(Conversation.state.in_(states))
    return list(session.scalars(query.order_by(Conversation.updated_at.desc(), Conversation.id.desc()).limit(limit)))


def _record(session: Session, actor: Principal, action: str, conversation: Conversation, **after: Any) -> None:
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action=action,
                 subject_type="conversation", subject_id=conversation.id, after=after or None)


def check_new_conversation(session: Session, *, actor: Principal, settings: Settings) -> None:
    """Refuse a requester's new conversation past `requester_max_conversations_per_hour` (RateLimited)."""
    if not requester_limits.limited(actor) or actor.user_id is None:
        return
    opened = session.scalar(select(func.count()).select_from(Conversation).where(
        Conversation.requester_id == actor.user_id, Conversation.created_at >= utcnow() - requester_limits.WINDOW))
    requester_limits.refuse_past_limit(session, requester_id=actor.user_id, opened=opened or 0,
                                       limit=settings.requester_max_conversations_per_hour, what="conversations",
                                       setting="DESKPILOT_REQUESTER_MAX_CONVERSATIONS_PER_HOUR")


def create(session: Session, *, actor: Principal, channel: Channel = Channel.CHAT,
           client: dict[str, str] | None = None) -> Conversation:
    """A new conversation owned by the assistant, opened with the scope statement."""
    require(actor, Permission.TICKET_CREATE)
    if actor.user_id is None:
        raise InvalidInput("A conversation needs a person as its requester.")
    now = utcnow()
    conversation = Conversation(requester_id=actor.user_id, channel=channel,
                                state=ConversationState.ASSISTANT_ANSWERING, owner_kind=Owner.ASSISTANT,
                                client=client or {}, created_at=now, updated_at=now, facts={}, troubleshooting={})
    session.add(conversation)
    session.flush()
    say(session, conversation, Speaker(Author.SYSTEM), SCOPE_STATEMENT)
    return conversation


def say(session: Session, conversation: Conversation, speaker: Speaker, body: str, *,
        citations: list[dict[str, Any]] | None = None, confidence: float | None = None,
        decision_id: int | None = None, idempotency_key: str | None = None) -> ConversationMessage:
    """Add one message, if `speaker` may speak now (the state machine decides); machine text is AI-assisted."""
    if not machine.may_speak(conversation.state, speaker, owner_agent_id=conversation.owner_agent_id):
        raise Conflict(_silenced(conversation, speaker))
    message = ConversationMessage(
        conversation_id=conversation.id, author_kind=speaker.author, author_id=speaker.user_id, body=body,
        ai_assisted=speaker.author in (Author.ASSISTANT, Author.SYSTEM), citations=citations or [],
        confidence=confidence, decision_id=decision_id, idempotency_key=idempotency_key, created_at=utcnow())
    conversation.messages.append(message)
    conversation.updated_at = message.created_at
    session.flush()
    return message


def _silenced(conversation: Conversation, speaker: Speaker) -> str:
    if conversation.state is ConversationState.RESOLVED:
        return f"Conversation #{conversation.id} has ended. Start a new conversation for anything else."
    if speaker.author is Author.AGENT and conversation.state is not ConversationState.WITH_HUMAN:
        return f"Join conversation #{conversation.id} before replying in it."
    if speaker.author is Author.AGENT:
        return f"Conversation #{conversation.id} is owned by another agent; only its owner replies."
    return f"The assistant does not speak in conversation #{conversation.id} while a person owns it."


def transition(session: Session, conversation: Conversation, event: ConversationEvent, *,
               actor: Principal) -> None:
    """Move the conversation on by `event` and keep the owner in step with the state."""
    before = conversation.state
    conversation.state = machine.apply(before, event)
    conversation.owner_kind = machine.owner_of(conversation.state)
    if conversation.owner_kind is Owner.ASSISTANT:
        conversation.owner_agent_id = None
    if conversation.state is ConversationState.RESOLVED:
        conversation.resolved_at = utcnow()
    conversation.updated_at = utcnow()
    session.flush()
    if event in AUDITED:
        _record(session, actor, f"conversation.{event}", conversation, state_before=before, state=conversation.state)


def _require_agent(session: Session, actor: Principal, conversation: Conversation) -> None:
    if not has(actor, Permission.TICKET_WORK):
        raise PermissionDenied("Only service desk agents can join and answer conversations.")
    ticket = session.get(Ticket, conversation.ticket_id) if conversation.ticket_id else None
    if ticket is not None and not can_work(session, actor, ticket):
        raise PermissionDenied(f"Conversation #{conversation.id} belongs to a queue outside your teams.")


def join(session: Session, *, actor: Principal, conversation_id: int) -> Conversation:
    """An agent takes the conversation over; the assistant falls silent. Joining twice is harmless."""
    conversation = get(session, actor=actor, conversation_id=conversation_id, lock=True)
    _require_agent(session, actor, conversation)
    if conversation.state is ConversationState.WITH_HUMAN:
        if conversation.owner_agent_id == actor.user_id:
            return conversation
        owner = session.get(User, conversation.owner_agent_id) if conversation.owner_agent_id else None
        raise Conflict(f"{owner.full_name if owner else 'Another agent'} already owns conversation "
                       f"#{conversation.id}; exactly one person answers at a time.")
    transition(session, conversation, ConversationEvent.AGENT_JOINED, actor=actor)
    conversation.owner_agent_id = actor.user_id
    ticket = session.get(Ticket, conversation.ticket_id) if conversation.ticket_id else None
    if ticket is not None and ticket.assignee_id is None:
        tickets.assign(session, actor=actor, ticket_id=ticket.id, assignee_id=actor.user_id)
    say(session, conversation, Speaker(Author.SYSTEM),
        f"{actor.username} from the service desk has joined the conversation and will answer you from now on. "
        "The assistant stays quiet while they do.")
    return conversation


def agent_reply(session: Session, *, actor: Principal, conversation_id: int, body: str,
                idempotency_key: str | None = None) -> ConversationMessage:
    """The owning agent answers; the reply also goes on the ticket, so the SLA sees the first response."""
    conversation = get(session, actor=actor, conversation_id=conversation_id, lock=True)
    text = check_body(body)
    existing = find_by_key(session, conversation, idempotency_key)
    if existing is not None:
        return existing
    if conversation.state in WAITING:
        join(session, actor=actor, conversation_id=conversation_id)
    message = say(session, conversation, Speaker(Author.AGENT, actor.user_id), text, idempotency_key=idempotency_key)
    if conversation.ticket_id is not None:
        tickets.add_message(session, actor=actor, ticket_id=conversation.ticket_id,
                            data=MessageCreate(body=text, kind=MessageKind.PUBLIC_REPLY, channel=Channel.CHAT))
    return message


def hand_back(session: Session, *, actor: Principal, conversation_id: int) -> Conversation:
    """The owning agent returns the conversation to the assistant, which resumes with the whole context."""
    conversation = get(session, actor=actor, conversation_id=conversation_id, lock=True)
    if conversation.owner_agent_id != actor.user_id or conversation.state is not ConversationState.WITH_HUMAN:
        raise Conflict(f"Only the agent who owns conversation #{conversation.id} can hand it back.")
    transition(session, conversation, ConversationEvent.HANDED_BACK, actor=actor)
    conversation.troubleshooting = {}
    say(session, conversation, Speaker(Author.SYSTEM),
        f"{actor.username} handed the conversation back to the assistant. It has read everything said so far; "
        "ask your next question, or type \u201ctalk to a human\u201d to reach a person again.")
    return conversation


def close(session: Session, *, actor: Principal, conversation_id: int) -> Conversation:
    """The requester or the owning agent ends the conversation; the requester is then asked for a rating."""
    conversation = get(session, actor=actor, conversation_id=conversation_id, lock=True)
    is_requester = conversation.requester_id == actor.user_id
    if not is_requester and conversation.owner_agent_id != actor.user_id:
        _require_agent(session, actor, conversation)
    if conversation.state is ConversationState.RESOLVED:
        return conversation
    if not is_requester:
        conversation.resolution = Resolution.AGENT
    elif conversation.ticket_id is not None:
        conversation.resolution = Resolution.TICKET
    else:
        conversation.resolution = Resolution.WITHDRAWN
    transition(session, conversation, ConversationEvent.CLOSED, actor=actor)
    ask_for_rating(session, conversation)
    return conversation


def ask_for_rating(session: Session, conversation: Conversation) -> None:
    say(session, conversation, Speaker(Author.SYSTEM), RATING_QUESTION)


def rate(session: Session, *, actor: Principal, conversation_id: int, score: int, comment: str = "") -> Conversation:
    """The requester's CSAT (1–5 and an optional comment), once, after the conversation ended."""
    conversation = get(session, actor=actor, conversation_id=conversation_id, lock=True)
    if conversation.requester_id != actor.user_id:
        raise PermissionDenied("Only the person who asked can rate the conversation.")
    if conversation.state is not ConversationState.RESOLVED:
        raise Conflict("Rate the conversation once it has ended.")
    if conversation.csat_score is not None:
        raise Conflict(f"Conversation #{conversation.id} has been rated already. Thank you!")
    if not 1 <= score <= 5:
        raise InvalidInput("Choose a rating from 1 (poor) to 5 (excellent).")
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(f"The comment is too long: {len(comment):,} characters, and the limit is {MAX_COMMENT:,}.")
    conversation.csat_score, conversation.csat_comment = score, comment.strip() or None
    conversation.csat_at = utcnow()
    session.flush()
    _record(session, actor, "conversation.csat", conversation, score=score)
    return conversation


def find_by_key(session: Session, conversation: Conversation, key: str | None) -> ConversationMessage | None:
    if not key:
        return None
    return session.scalar(select(ConversationMessage).where(ConversationMessage.conversation_id == conversation.id,
                                                            ConversationMessage.idempotency_key == key))


def replies_after(session: Session, message: ConversationMessage) -> list[ConversationMessage]:
    """The messages that answered `message`: those after it, up to the requester's next one."""
    later = session.scalars(select(ConversationMessage).where(
        ConversationMessage.conversation_id == message.conversation_id, ConversationMessage.id > message.id)
        .order_by(ConversationMessage.id))
    result = []
    for item in later:
        if item.author_kind is Author.REQUESTER:
            break
        result.append(item)
    return result
