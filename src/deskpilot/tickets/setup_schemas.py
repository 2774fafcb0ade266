"""API shapes for the desk's set-up: queues, escalation paths, business calendars, SLA policies."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from deskpilot.accounts.enums import Role
from deskpilot.tickets.enums import Priority
from deskpilot.validation import DbId, InputModel


class EscalationTrigger(StrEnum):
    NEAR_BREACH = "near_breach"
    BREACH = "breach"


class EscalationLevelIn(InputModel):
    level: int = Field(ge=1, le=10)
    trigger: EscalationTrigger
    after_minutes: int = Field(default=0, ge=0, le=60 * 24 * 30)
    notify_team_id: DbId | None = None
    notify_role: Role | None = None


class EscalationLevelRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    level: int
    trigger: str
    after_minutes: int
    notify_team_id: int | None
    notify_role: str | None


class QueueCreate(InputModel):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=500)
    team_id: DbId | None = None
    escalation_levels: list[EscalationLevelIn] = Field(default_factory=list, max_length=10)


class QueueUpdate(InputModel):
    """A queue's name, description and owning team (its escalation path is kept)."""

    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=500)
    team_id: DbId | None = None


class QueueRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    description: str
    team_id: int | None
    escalation_levels: list[EscalationLevelRead]


class CalendarCreate(InputModel):
    name: str = Field(min_length=1, max_length=120)
    definition: dict[str, Any] = Field(description='e.g. {"timezone": "Europe/Berlin", "hours": {"mon": '
                                       '["08:00-18:00"]}, "holidays": ["2026-12-25"]}')


class CalendarRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    definition: dict[str, Any]


class SlaPolicyCreate(InputModel):
    name: str = Field(min_length=1, max_length=120)
    priority: Priority
    queue_id: DbId | None = None
    first_response_minutes: int = Field(ge=1, le=60 * 24 * 365)
    resolution_minutes: int = Field(ge=1, le=60 * 24 * 365)
    calendar_id: DbId
    near_breach_ratio: float = Field(default=0.8, gt=0, lt=1)


class SlaPolicyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    priority: Priority
    queue_id: int | None
    first_response_minutes: int
    resolution_minutes: int
    calendar_id: int
    near_breach_ratio: float
