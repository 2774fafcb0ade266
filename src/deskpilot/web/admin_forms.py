"""Admin form input → the accounts and set-up services' schemas, with problems shown beside the fields."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, TypeVar

from fastapi import Depends, Form
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from deskpilot.accounts.enums import Role
from deskpilot.accounts.permissions import Permission, has
from deskpilot.accounts.schemas import TeamCreate, UserCreate, UserUpdate
from deskpilot.errors import DomainError
from deskpilot.tickets.setup_schemas import QueueCreate, QueueUpdate
from deskpilot.web.viewer import PageGuard, Viewer

FormText = Annotated[str, Form()]
FormIds = Annotated[list[str] | None, Form()]
NOT_ADMIN = "The admin pages are for administrators. Ask an administrator if you need a change to users or queues."


# Administrators only (the API's user:manage).
ADMIN = PageGuard(lambda principal: has(principal, Permission.USER_MANAGE), NOT_ADMIN)
AdminViewer = Annotated[Viewer, Depends(ADMIN.page)]
AdminFormViewer = Annotated[Viewer, Depends(ADMIN.form)]


T = TypeVar("T")


def save_or_show(session: Session, data: T | None, save: Callable[[T], object],
                 show: Callable[[str | None, int], Response], saved: str) -> Response:
    """The admin forms' one flow: an invalid form is shown again as typed (422, fields marked); a save the
    service refuses is shown again with its reason and status, nothing kept; a saved one redirects to `saved`."""
    if data is None:
        return show(None, 422)
    try:
        save(data)
    except DomainError as exc:
        session.rollback()
        return show(exc.message, exc.status_code)
    return RedirectResponse(saved, status_code=303)


def initial_password() -> str:
    """A one-time password an administrator hands over; the dash keeps it within the policy (letters + symbol)."""
    return "dp-" + secrets.token_urlsafe(15)


def field_errors(exc: ValidationError) -> dict[str, str]:
    """The first problem per field, worded by the schema."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "form"
        errors.setdefault(name, str(error["msg"]))
    return errors


def _ids(values: list[str] | None) -> list[str]:
    return [v for v in values or [] if v]


@dataclass
class UserForm:
    """The "New user" form as typed; a blank password means: generate an initial one and show it once."""

    username: str = ""
    email: str = ""
    full_name: str = ""
    role: str = Role.AGENT.value
    password: str = ""
    team_ids: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    def to_user(self) -> tuple[UserCreate, str | None] | None:
        """The user to create and the generated initial password (None when one was typed), or None."""
        generated = None if self.password else initial_password()
        try:
            data = UserCreate.model_validate({
                "username": self.username.strip(), "email": self.email.strip(), "full_name": self.full_name.strip(),
                "role": self.role, "password": self.password or generated, "team_ids": _ids(self.team_ids)})
        except ValidationError as exc:
            self.errors = field_errors(exc)
            return None
        return data, generated


def user_update(*, full_name: str, role: str, team_ids: list[str] | None) -> UserUpdate | dict[str, str]:
    """The change to a user's name, role and teams, or the problems per field."""
    try:
        return UserUpdate.model_validate({"full_name": full_name.strip(), "role": role, "team_ids": _ids(team_ids)})
    except ValidationError as exc:
        return field_errors(exc)


@dataclass
class TeamForm:
    name: str = ""
    description: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def to_team(self) -> TeamCreate | None:
        try:
            return TeamCreate(name=self.name.strip(), description=self.description.strip())
        except ValidationError as exc:
            self.errors = field_errors(exc)
            return None


@dataclass
class QueueForm:
    name: str = ""
    description: str = ""
    team_id: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def to_update(self) -> QueueUpdate | None:
        try:
            return QueueUpdate.model_validate({"name": self.name.strip(), "description": self.description.strip(),
                                               "team_id": self.team_id or None})
        except ValidationError as exc:
            self.errors = field_errors(exc)
            return None

    def to_queue(self) -> QueueCreate | None:
        try:
            return QueueCreate.model_validate({"name": self.name.strip(), "description": self.description.strip(),
                                               "team_id": self.team_id or None})
        except ValidationError as exc:
            self.errors = field_errors(exc)
            return None
