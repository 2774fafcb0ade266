"""API shapes of the right to erasure."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from deskpilot.personal_data import Change
from deskpilot.privacy.enums import ErasureStatus
from deskpilot.privacy.models import ErasureRequest
from deskpilot.validation import InputModel

Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]


class ErasureCreate(InputModel):
    """Identifiers the desk does not hold on the account (phone, employee number) to scrub wherever others
    wrote them; the name, e-mail and username are always scrubbed."""

    identifiers: list[Identifier] = Field(default_factory=list, max_length=20)


class ErasureChangeRead(BaseModel):
    source: str
    kind: str
    count: int
    action: str

    @classmethod
    def of(cls, change: Change) -> ErasureChangeRead:
        return cls(**change.as_json())


class ErasureRead(BaseModel):
    id: int
    user_id: int
    status: ErasureStatus
    requested_by: str
    requested_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    steps_done: list[str]
    steps_total: int
    changes: list[ErasureChangeRead]
    finished_at: datetime | None

    @classmethod
    def of(cls, erasure: ErasureRequest, *, steps_total: int) -> ErasureRead:
        return cls(id=erasure.id, user_id=erasure.user_id, status=erasure.status, requested_by=erasure.requested_by,
                   requested_at=erasure.requested_at, approved_by=erasure.approved_by,
                   approved_at=erasure.approved_at, steps_done=list(erasure.done_steps), steps_total=steps_total,
                   changes=[ErasureChangeRead(**change) for change in erasure.changes],
                   finished_at=erasure.finished_at)
