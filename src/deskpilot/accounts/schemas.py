"""API shapes of the accounts area."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import TOKEN_MAX_DAYS, ApiToken
from deskpilot.validation import DbId, InputModel

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"


class TeamRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    description: str


class TeamCreate(InputModel):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=500)


class UserCreate(InputModel):
    username: str = Field(pattern=USERNAME_PATTERN)
    email: EmailStr
    full_name: str = Field(min_length=1, max_length=200)
    role: Role
    password: str | None = Field(default=None, min_length=1, max_length=256)
    team_ids: list[DbId] = Field(default_factory=list, max_length=50)
    is_vip: bool = False


class UserUpdate(InputModel):
    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    is_active: bool | None = None
    is_vip: bool | None = None
    team_ids: list[DbId] | None = Field(default=None, max_length=50)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    email: str
    full_name: str
    role: Role
    is_active: bool
    is_vip: bool
    teams: list[TeamRead]
    created_at: datetime


class UserPage(BaseModel):
    items: list[UserRead]
    total: int


class LoginRequest(InputModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenCreate(InputModel):
    name: str = Field(default="api", min_length=1, max_length=120)
    expires_in_days: int | None = Field(default=None, ge=1, le=TOKEN_MAX_DAYS,
                                        description="days the token is valid; the server's default when omitted")


class TokenIssued(BaseModel):
    """A new token: `token` is the secret, shown this once and never stored."""

    id: int
    name: str
    token: str
    expires_at: datetime


class TokenRead(BaseModel):
    id: int
    name: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked: bool
    active: bool

    @classmethod
    def of(cls, token: ApiToken, *, now: datetime) -> TokenRead:
        return cls(id=token.id, name=token.name, created_at=token.created_at, expires_at=token.expires_at,
                   last_used_at=token.last_used_at, revoked=token.revoked, active=token.is_live(now))


class PasswordChange(InputModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)
