"""API shapes for the desk's set-up: queues, escalation paths, business calendars, SLA policies."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

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

    @model_validator(mode="after")
    def _notifies_someone(self) -> EscalationLevelIn:
        if self.notify_team_id is None and self.notify_role is None:
            raise ValueError(f"level {self.level} notifies nobody: choose a team to notify, a role, or both")
        if self.trigger is EscalationTrigger.NEAR_BREACH and self.after_minutes:
            raise ValueError(f"level {self.level}: a near-breach level fires as soon as a clock is near breach; "
                             "minutes after the breach apply to breach levels only, so leave them at 0")
        return self


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


class EscalationPathUpdate(InputModel):
    """A queue's whole escalation path, replacing the one it has (an empty list: the queue escalates nobody)."""

    levels: list[EscalationLevelIn] = Field(max_length=10)


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


class EscalationNoticeRead(BaseModel):
    """A notification the SLA sweep raised: which ticket reached which level of its queue's path, and whom it tells."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    ticket_id: int
    level: int
    trigger: str
    notify_team_id: int | None
    notify_role: str | None
    reason: str
    created_at: datetime
