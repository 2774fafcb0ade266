"""API shapes of the runbooks area."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from deskpilot.runbooks.enums import RunMode, RunStatus, StepStatus, VersionStatus
from deskpilot.validation import DbId, InputModel


class RunbookSource(InputModel):
    source: str = Field(min_length=1, max_length=100_000, description="the YAML definition")


class ApprovalCreate(InputModel):
    content_hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="the hash of the text you reviewed")


class RunCreate(InputModel):
    parameters: dict[str, str | int] = Field(default_factory=dict)
    version: int | None = Field(default=None, ge=1)
    ticket_id: DbId | None = None
    client_data: dict[str, str] = Field(default_factory=dict)
    dry_run_id: DbId | None = None
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=120, pattern=r"^[A-Za-z0-9._:-]+$")


class VersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    version: int
    status: VersionStatus
    content_hash: str
    author_name: str
    created_at: datetime
    approved_at: datetime | None
    approvers: list[str] = []
    source: str


class RunbookRead(BaseModel):
    name: str
    title: str
    risk: str
    min_approvers: int
    current_version: int | None
    versions: list[VersionRead]


class StepRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    position: int
    step_id: str
    action: str
    status: StepStatus
    inputs: dict[str, Any]
    output: dict[str, Any]
    duration_ms: int
    reversible: bool
    error: str | None


class RunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    version_id: int
    mode: RunMode
    status: RunStatus
    target: str
    parameters: dict[str, Any]
    plan: list[dict[str, Any]]
    ticket_id: int | None
    origin: str
    actor_name: str
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    rolled_back_at: datetime | None
    steps: list[StepRead] = []


class SelfServiceStart(InputModel):
    ticket_id: DbId | None = None
    conversation_ref: str | None = Field(default=None, max_length=80)


class SelfServiceVerify(InputModel):
    code: str = Field(pattern=r"^\s*\d{6}\s*$")


class SelfServiceReset(InputModel):
    new_password: str = Field(min_length=1, max_length=256)


class ChallengeRead(BaseModel):
    request_id: int
    sent_to: str
    expires_in_minutes: int
