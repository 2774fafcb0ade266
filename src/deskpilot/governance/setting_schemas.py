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


class ConnectionFieldRead(BaseModel):
    name: str
    value: str | int | float | bool | None = Field(description="the value in force; for a secret, whether it is set")
    source: Literal["default", "env", "admin"]
    secret: bool


class MailboxRead(BaseModel):
    name: str
    host: str
    port: int
    username: str
    folder: str
    ssl: bool
    password: bool = Field(description="whether a password is set (it is never returned)")
    oauth2: bool


class ConnectionsRead(BaseModel):
    smtp: list[ConnectionFieldRead]
    ldap: list[ConnectionFieldRead]
    mailboxes: list[MailboxRead]
    mailboxes_source: Literal["default", "env", "admin"]


class ConnectionChange(BaseModel):
    values: dict[str, str] = Field(description="setting name → value as text; a blank secret keeps the stored one",
                                   max_length=20)
    reason: str = Field(default="", max_length=500)


class MailboxChange(BaseModel):
    host: str = Field(max_length=255)
    port: int = Field(default=993, ge=1, le=65535)
    username: str = Field(max_length=255)
    password: str = Field(default="", max_length=1000, description="blank keeps the stored password")
    folder: str = Field(default="INBOX", max_length=255)
    ssl: bool = True
    reason: str = Field(default="", max_length=500)


class ConnectionCheckRead(BaseModel):
    ok: bool
    summary: str
    advice: str
