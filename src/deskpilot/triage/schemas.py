"""API shapes of triage."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from deskpilot.audit.enums import FeedbackAction
from deskpilot.tickets.enums import Channel, Level, Priority
from deskpilot.validation import DbId, InputModel


class TriageRequest(InputModel):
    text: str = Field(min_length=1, max_length=100_000, description="the request as the requester wrote it")
    subject: str = Field(default="", max_length=300)
    requester_id: DbId | None = None
    channel: Channel = Channel.API


class EscalationStepRead(BaseModel):
    level: int
    trigger: str
    after_minutes: int
    notify: str


class SlaRead(BaseModel):
    policy: str | None
    calendar: str | None
    first_response_minutes: int | None
    resolution_minutes: int | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    reason: str


class SimilarTicketRead(BaseModel):
    ticket_id: int
    number: str
    subject: str
    score: float
    category: str | None
    resolution: str | None


class ExplanationRead(BaseModel):
    top_terms: list[str]
    alternatives: list[tuple[str, float]]
    reasons: list[str]
    priority_source: str


class MajorIncidentRead(BaseModel):
    parent_ticket_id: int
    similar_open_ticket_ids: list[int]
    window_minutes: int


class TriageRead(BaseModel):
    decision_id: int
    model_version: str
    category: str | None
    queue: str | None
    queue_id: int | None
    priority: Priority
    impact: Level
    urgency: Level
    confidence: float
    abstained: bool
    language: str
    sentiment: float
    frustrated: bool
    pii_redacted: list[str]
    sla: SlaRead
    escalation_path: list[EscalationStepRead]
    similar_tickets: list[SimilarTicketRead]
    major_incident: MajorIncidentRead | None
    explanation: ExplanationRead


class TriageFeedbackCreate(InputModel):
    field: str = Field(pattern="^(category|queue|priority)$")
    action: FeedbackAction
    reason: str | None = Field(default=None, max_length=500)


class TriageFeedbackRead(BaseModel):
    id: int
    field: str
    action: FeedbackAction
    suggested_value: str | None
    final_value: str | None
