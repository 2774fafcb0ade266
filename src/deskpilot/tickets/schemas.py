"""API shapes of the tickets area."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from deskpilot.tickets.enums import Channel, Level, MessageKind, Priority, TicketStatus
from deskpilot.validation import DbId, InputModel

MAX_BODY = 100_000


class TicketCreate(InputModel):
    subject: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=MAX_BODY)
    channel: Channel = Channel.API
    impact: Level = Level.MEDIUM
    urgency: Level = Level.MEDIUM
    priority: Priority | None = None
    category: str | None = Field(default=None, max_length=120)
    queue_id: DbId | None = None
    requester_id: DbId | None = None


@dataclass(frozen=True)
class TicketTriage:
    """What triage decided for a new ticket's empty fields (None: left to people)."""

    category: str | None = None
    queue_id: int | None = None
    priority: Priority | None = None

    def fields(self) -> set[str]:
        return {name for name in ("category", "queue_id", "priority") if getattr(self, name) is not None}


class TicketUpdate(InputModel):
    subject: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=MAX_BODY)
    impact: Level | None = None
    urgency: Level | None = None
    priority: Priority | None = None
    category: str | None = Field(default=None, max_length=120)
    queue_id: DbId | None = None


class TicketRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    subject: str
    description: str
    status: TicketStatus
    priority: Priority
    impact: Level
    urgency: Level
    category: str | None
    queue_id: int | None
    requester_id: int
    assignee_id: int | None
    channel: Channel
    merged_into_id: int | None
    sla_policy_id: int | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    sla_state: str
    escalation_level: int
    reopen_count: int
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def number(self) -> str:
        return f"DP-{self.id}"


class TicketPage(BaseModel):
    items: list[TicketRead]
    total: int
    offset: int
    limit: int


class TicketSort(StrEnum):
    NEWEST = "newest"
    OLDEST = "oldest"
    PRIORITY = "priority"
    DUE = "due"


class MessageCreate(InputModel):
    body: str = Field(min_length=1, max_length=MAX_BODY)
    kind: MessageKind = MessageKind.PUBLIC_REPLY
    channel: Channel = Channel.API
    ai_assisted: bool = False


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    ticket_id: int
    author_id: int | None
    kind: MessageKind
    channel: Channel
    body: str
    ai_assisted: bool
    created_at: datetime


class StatusChange(InputModel):
    status: TicketStatus
    comment: str | None = Field(default=None, min_length=1, max_length=MAX_BODY)


class Assignment(InputModel):
    assignee_id: DbId | None


class MergeRequest(InputModel):
    into_ticket_id: DbId


BULK_MAX = 100
TicketIds = Annotated[list[DbId], Field(min_length=1, max_length=BULK_MAX, description="the tickets to change")]


class BulkAssign(InputModel):
    """Assign every ticket to one staff member, or unassign them (null)."""

    action: Literal["assign"]
    ticket_ids: TicketIds
    assignee_id: DbId | None


class BulkStatus(InputModel):
    """Move every ticket to one status; the lifecycle applies to each (an open ticket must be resolved before it is
    closed, or it is reported as not changed)."""

    action: Literal["status"]
    ticket_ids: TicketIds
    status: TicketStatus


class BulkPriority(InputModel):
    action: Literal["priority"]
    ticket_ids: TicketIds
    priority: Priority


class BulkQueue(InputModel):
    """Route every ticket to one queue, or to none (null: waiting for triage)."""

    action: Literal["queue"]
    ticket_ids: TicketIds
    queue_id: DbId | None


class BulkMerge(InputModel):
    """Keep `into_ticket_id`; every other ticket is merged into it as a duplicate."""

    action: Literal["merge"]
    ticket_ids: TicketIds
    into_ticket_id: DbId


BulkChange = Annotated[BulkAssign | BulkStatus | BulkPriority | BulkQueue | BulkMerge, Field(discriminator="action")]


class BulkItemRead(BaseModel):
    """What happened to one ticket: changed (`ok`), or not, with the error code and message a single change
    would have answered."""

    ticket_id: int
    ok: bool
    error: str | None = None
    message: str | None = None


class BulkResultRead(BaseModel):
    action: str
    changed: int
    failed: int
    items: list[BulkItemRead]


class DraftSourceRead(BaseModel):
    citation: str
    slug: str
    version: int


class DraftReplyRead(BaseModel):
    """A grounded draft reply to a ticket; `decision_id` names it when it is sent or rejected."""

    decision_id: int
    text: str
    citations: list[str]
    sources: list[DraftSourceRead]
    confidence: float
    abstained: bool


class DraftRejection(InputModel):
    reason: str = Field(default="", max_length=500)


class DraftFeedbackRead(BaseModel):
    id: int
    decision_id: int
    action: str
    reason: str | None


class QueueViewSave(InputModel):
    name: str = Field(min_length=1, max_length=80)
    filters: dict[str, Annotated[str, Field(max_length=200)]] = Field(
        default_factory=dict, max_length=10, description="queue filters: status, queue, priority, mine, q, sort")


class QueueViewRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    filters: dict[str, str]


class AttachmentRead(BaseModel):
    """A file on a ticket (or sent in a chat); `url` downloads it (as a file; add `?inline=true` to view an image,
    a PDF or text in the browser)."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    ticket_id: int | None
    conversation_id: int | None
    message_id: int | None
    filename: str
    declared_type: str
    sniffed_type: str
    size: int
    sha256: str
    channel: Channel
    internal: bool
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def url(self) -> str:
        if self.ticket_id is None:
            return f"/api/v1/conversations/{self.conversation_id}/attachments/{self.id}"
        return f"/api/v1/tickets/{self.ticket_id}/attachments/{self.id}"


class LimitLiftCreate(BaseModel):
    """A lead lets one requester past the hourly ticket and conversation limits for `hours`."""

    hours: int = Field(default=24, ge=1, le=24 * 30)
    reason: str = Field(min_length=1, max_length=500)


class LimitLiftRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    requester_id: int
    lifted_by_id: int | None
    reason: str
    lifted_until: datetime
