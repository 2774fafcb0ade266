"""API shapes of the AI settings administrators override."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class AiSettingRead(BaseModel):
    name: str
    label: str
    help: str
    kind: Literal["fraction", "count", "flag", "fields"]
    value: float | int | bool | str | None = Field(description="the value in force")
    source: Literal["default", "env", "admin"] = Field(
        description="where the value comes from: the built-in default, the environment, or an administrator")
    minimum: float | None = None
    maximum: float | None = None
    version: int | None = Field(default=None, description="the newest version of the override, if any")
    changed_by: str | None = None
    changed_at: datetime | None = None


class AiSettingChange(BaseModel):
    value: float | int | bool | str | None = Field(
        description="the new value; null takes the override back (the environment's value or the default holds)")
    reason: str = Field(default="", max_length=500)


class SettingVersionRead(BaseModel):
    model_config = {"from_attributes": True}

    name: str
    version: int
    value: float | int | bool | str | None
    reason: str
    changed_by: str
    changed_at: datetime
