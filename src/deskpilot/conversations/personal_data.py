"""What the chat holds about a person: their conversations with every message, and the assistant's facts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.conversations.models import Conversation, ConversationMessage
from deskpilot.personal_data import FunctionSource, Person, Section, columns


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


SOURCE = FunctionSource("conversations", collect)
