"""What the chat pages show of a conversation: messages split into text and clickable citations."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from deskpilot.accounts.models import User
from deskpilot.conversations.models import Conversation, ConversationMessage
from deskpilot.conversations.state import Author, ConversationState

_CITATION = re.compile(r"\[([a-z0-9][a-z0-9-]*) v(\d+)\]")
_EMPHASIS = re.compile(r"\*\*|__|`")
STATE_LABELS = {
    ConversationState.ASSISTANT_ANSWERING: "With the assistant",
    ConversationState.AWAITING_CONFIRMATION: "Waiting for your answer",
    ConversationState.CLARIFYING: "Waiting for your answer",
    ConversationState.TROUBLESHOOTING: "Troubleshooting step by step",
    ConversationState.OFFERING_TICKET: "Waiting for your answer",
    ConversationState.SELF_SERVICE: "Resetting your password",
    ConversationState.WAITING_FOR_HUMAN: "Waiting for a person",
    ConversationState.WITH_HUMAN: "With a person from the service desk",
    ConversationState.RESOLVED: "Closed",
    ConversationState.TICKET_CREATED: "Continued as a ticket",
}


@dataclass(frozen=True)
class Segment:
    text: str
    href: str | None = None


@dataclass(frozen=True)
class SourceLink:
    citation: str
    title: str
    href: str


@dataclass(frozen=True)
class MessageView:
    id: int
    author: str
    kind: str
    ai_assisted: bool
    segments: list[Segment]
    sources: list[SourceLink]
    created_at: datetime


def source_href(slug: str, version: int) -> str:
    return f"/chat/sources/{slug}?version={version}"


def citation_href(citation: str) -> str | None:
    """The page of the article a citation such as "[vpn-connect v2]" names, or None for anything else."""
    match = _CITATION.fullmatch(citation)
    return source_href(match.group(1), int(match.group(2))) if match else None


def _segments(message: ConversationMessage) -> list[Segment]:
    """Machine text with its known citations as links; people's words are never turned into links."""
    known = {c["citation"] for c in message.citations}
    if message.author_kind is not Author.ASSISTANT or not known:
        return [Segment(message.body)]
    parts, last = [], 0
    for match in _CITATION.finditer(message.body):
        if match.group(0) not in known:
            continue
        parts.append(Segment(message.body[last:match.start()]))
        parts.append(Segment(match.group(0), source_href(match.group(1), int(match.group(2)))))
        last = match.end()
    parts.append(Segment(message.body[last:]))
    # Articles are Markdown; their emphasis marks are noise in a chat bubble (the words stay verbatim).
    return [p if p.href else Segment(_EMPHASIS.sub("", p.text)) for p in parts if p.text]


def _author(session: Session, message: ConversationMessage, *, viewer_id: int) -> str:
    if message.author_kind is Author.REQUESTER:
        return "You" if message.author_id == viewer_id else "Requester"
    if message.author_kind is Author.AGENT:
        user = session.get(User, message.author_id) if message.author_id else None
        return f"{user.full_name or user.username} (service desk)" if user else "Service desk"
    return "Assistant" if message.author_kind is Author.ASSISTANT else "deskpilot"


def message_views(session: Session, conversation: Conversation, *, viewer_id: int) -> list[MessageView]:
    return [MessageView(
        id=m.id, author=_author(session, m, viewer_id=viewer_id), kind=m.author_kind.value, ai_assisted=m.ai_assisted,
        segments=_segments(m), created_at=m.created_at,
        sources=[SourceLink(c["citation"], c["title"], source_href(c["slug"], c["version"])) for c in m.citations])
        for m in conversation.messages]
