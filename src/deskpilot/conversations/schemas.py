"""API shapes of the conversations area."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from deskpilot.conversations.enums import Resolution
from deskpilot.conversations.service import MAX_COMMENT, MAX_MESSAGE
from deskpilot.conversations.state import Author, ConversationState, Owner
from deskpilot.tickets.enums import Channel
from deskpilot.validation import InputModel


class ConversationCreate(InputModel):
    message: str | None = Field(default=None, max_length=MAX_MESSAGE,
                                description="The first question; the assistant answers it at once.")
    channel: Channel = Channel.CHAT


class ConversationMessageCreate(InputModel):
    body: str = Field(min_length=1, max_length=MAX_MESSAGE)


class NewPasswordCreate(InputModel):
    new_password: str = Field(min_length=1, max_length=128,
                              description="The requester's new password, after the e-mailed code was entered in the "
                                          "chat; checked against the password policy, never stored.")


class CsatCreate(InputModel):
    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=MAX_COMMENT)


class CitationRead(BaseModel):
    citation: str
    slug: str
    version: int
    title: str
    url: str


class ConversationMessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    author_kind: Author
    author_id: int | None
    body: str
    ai_assisted: bool
    citations: list[CitationRead]
    confidence: float | None
    decision_id: int | None
    created_at: datetime


class ConversationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    requester_id: int
    channel: Channel
    state: ConversationState
    owner_kind: Owner
    owner_agent_id: int | None
    ticket_id: int | None
    subject: str
    resolution: Resolution | None
    csat_score: int | None
    csat_comment: str | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None


class TranscriptRead(ConversationRead):
    messages: list[ConversationMessageRead]


class TurnRead(BaseModel):
    """A posted message and the replies it got; `replayed` is true when a retry found it already stored."""

    conversation: ConversationRead
    message: ConversationMessageRead
    replies: list[ConversationMessageRead]
    replayed: bool
