"""API shapes of the e-mail channel: unfiled mail and what an agent does with it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from deskpilot.channels.email.enums import InboundStatus
from deskpilot.validation import DbId, InputModel


class UnfiledMailRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: InboundStatus
    reason: str
    from_address: str
    subject: str
    body_text: str
    received_at: datetime
    ticket_id: int | None


class FileMailRequest(InputModel):
    requester_id: DbId


class AttachMailRequest(InputModel):
    ticket_id: DbId
