"""API shapes of governance: the AI switches."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from deskpilot.governance.enums import AiMode, Capability


class AiSwitchUpdate(BaseModel):
    capability: Capability
    mode: AiMode
    scope: str = Field(default="*", max_length=140, description="'*', 'channel:<name>' or 'queue:<name>'")
    reason: str = Field(default="", max_length=500)


class AiSwitchRead(BaseModel):
    capability: Capability
    scope: str
    mode: AiMode
    reason: str
    changed_by: str
    changed_at: datetime
