"""API shapes of canned responses."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from deskpilot.validation import DbId, InputModel

BODY_MAX = 10_000


class CannedResponseWrite(InputModel):
    """A canned response as created or replaced; `queue_id` null offers it on every ticket."""

    title: str = Field(min_length=1, max_length=120)
    body: str = Field(min_length=1, max_length=BODY_MAX, description="the reply text; placeholders such as "
                      "{{requester.name}} or {{ticket.ref}} are filled in for the ticket it is inserted into")
    queue_id: DbId | None = None


class CannedResponseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    title: str
    body: str
    queue_id: int | None
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime


class FilledResponseRead(BaseModel):
    """A canned response's text with its placeholders filled in for one ticket, ready to be a reply."""

    canned_response_id: int
    ticket_id: int
    text: str
