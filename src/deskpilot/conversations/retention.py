"""Retention of chats: a conversation without activity for the period loses its messages, subject, facts and
comment; its state, resolution and CSAT score stay for the deflection and satisfaction KPIs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from deskpilot.config import Settings
from deskpilot.conversations.models import Conversation, ConversationMessage
from deskpilot.data_retention import EXPIRED_TEXT, Expired, RetentionKind, in_chunks


@dataclass(frozen=True)
class ChatsSweep:
    name: str = "conversations"
    kind: RetentionKind = RetentionKind.CHATS

    def expire(self, session: Session, *, settings: Settings,  # noqa: ARG002 - no files to delete
               before: datetime, dry_run: bool) -> Expired:
        """Empty the conversations last active before `before` (not yet emptied)."""
        with_messages = select(ConversationMessage.id).where(ConversationMessage.conversation_id == Conversation.id)
        # The subject is sealed at rest (a copy of the first message), so SQL cannot compare it: read and check.
        rows = session.execute(select(Conversation.id, Conversation.subject).where(
            Conversation.updated_at < before, Conversation.subject != "")).all()
        ids = sorted({*(row.id for row in rows if row.subject != EXPIRED_TEXT), *session.scalars(
            select(Conversation.id).where(Conversation.updated_at < before,
                                          or_(with_messages.exists(), Conversation.csat_comment.is_not(None))))})
        if dry_run or not ids:
            return Expired(records=len(ids))
        for chunk in in_chunks(ids):
            session.execute(delete(ConversationMessage).where(ConversationMessage.conversation_id.in_(chunk)),
                            execution_options={"synchronize_session": False})
            session.execute(update(Conversation).where(Conversation.id.in_(chunk)).values(
                subject=EXPIRED_TEXT, facts={}, troubleshooting={}, client={}, csat_comment=None),
                execution_options={"synchronize_session": False})
        session.flush()
        session.expire_all()
        return Expired(records=len(ids))


SWEEP = ChatsSweep()
