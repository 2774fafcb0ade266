"""Tables of the conversations area: chat sessions and their messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deskpilot.clock import utcnow
from deskpilot.conversations.enums import Resolution
from deskpilot.conversations.state import Author, ConversationState, Owner
from deskpilot.db import Base, UtcDateTime, enum_column
from deskpilot.sealed_storage import SealedText
from deskpilot.tickets.enums import Channel


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_state_updated", "state", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "conversation_channel"))
    state: Mapped[ConversationState] = mapped_column(enum_column(ConversationState, "conversation_state"))
    owner_kind: Mapped[Owner] = mapped_column(enum_column(Owner, "conversation_owner"))
    owner_agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), default=None,
                                                  index=True)
    # The requester's first message (or its start), so sealed like the messages.
    subject: Mapped[str] = mapped_column(SealedText, default="")
    # What the assistant knows: triage of the question, the answer's decision, the steps being walked.
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    troubleshooting: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    client: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    resolution: Mapped[Resolution | None] = mapped_column(enum_column(Resolution, "conversation_resolution"),
                                                          default=None)
    csat_score: Mapped[int | None] = mapped_column(Integer, default=None)
    csat_comment: Mapped[str | None] = mapped_column(SealedText, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    csat_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    messages: Mapped[list[ConversationMessage]] = relationship(
        back_populates="conversation", order_by="ConversationMessage.id", cascade="all, delete-orphan")


class ConversationMessage(Base):
    __tablename__ = "conversation_messages"
    # A retried POST carries the same key and finds the message it already created (NULLs never collide).
    __table_args__ = (UniqueConstraint("conversation_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    author_kind: Mapped[Author] = mapped_column(enum_column(Author, "conversation_author"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    body: Mapped[str] = mapped_column(SealedText)
    ai_assisted: Mapped[bool] = mapped_column(Boolean, default=False)
    citations: Mapped[list[Any]] = mapped_column(JSON, default=list)
    confidence: Mapped[float | None] = mapped_column(Float, default=None)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("ai_decisions.id", ondelete="SET NULL"), default=None)
    idempotency_key: Mapped[str | None] = mapped_column(String(80), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    conversation: Mapped[Conversation] = relationship(back_populates="messages")
