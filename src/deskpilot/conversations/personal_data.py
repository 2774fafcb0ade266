"""What the chat holds about a person: their conversations with every message, and the assistant's facts.
Erasing empties what was said in their chats and what the assistant noted, and scrubs other chats' mentions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.conversations.models import Conversation, ConversationMessage
from deskpilot.personal_data import ERASED, Change, Erasure, FunctionSource, Person, Section, columns


def collect(session: Session, *, person: Person) -> Section:
    chats = list(session.scalars(select(Conversation).where(Conversation.requester_id == person.user_id)
                                 .order_by(Conversation.id)))
    ids = [chat.id for chat in chats]
    messages = list(session.scalars(select(ConversationMessage).where(ConversationMessage.conversation_id.in_(ids))
                               .order_by(ConversationMessage.id)))
    return Section(
        name="conversations", description="Chats with the assistant: what was said by whom, the articles "
        "cited, what the assistant understood (facts) and the steps walked, and the satisfaction given.",
        records={"conversations": [columns(chat) for chat in chats],
                 "messages": [columns(message, leave_out=("idempotency_key",)) for message in messages]},
        subjects={("conversation", str(chat_id)) for chat_id in ids} | {
            ("ai_decision", str(message.decision_id)) for message in messages if message.decision_id is not None})


def erase(session: Session, *, erasure: Erasure, apply: bool) -> list[Change]:
    chats = list(session.scalars(select(Conversation).where(Conversation.requester_id == erasure.person.user_id)))
    ids = [chat.id for chat in chats]
    messages = list(session.scalars(select(ConversationMessage).where(ConversationMessage.conversation_id.in_(ids))))
    mentioning = [message for message in session.scalars(select(ConversationMessage).where(
        ConversationMessage.conversation_id.not_in(ids))) if erasure.mentions(message.body)]
    if apply:
        for chat in chats:
            chat.subject, chat.facts, chat.troubleshooting, chat.client = ERASED, {}, {}, {}
            chat.csat_comment = None
        for message in messages:
            message.body, message.citations = ERASED, []
        for message in mentioning:
            message.body = erasure.scrub(message.body)
    return [Change("conversations", "conversations", len(chats), "subject, facts, steps and comment erased"),
            Change("conversations", "messages", len(messages), "body erased"),
            Change("conversations", "other_messages_mentioning", len(mentioning), "identifiers scrubbed")]


SOURCE = FunctionSource("conversations", collect, eraser=erase)
