"""Admin form input → the accounts and set-up services' schemas, with problems shown beside the fields."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Form
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from deskpilot.accounts.enums import Role
from deskpilot.accounts.permissions import Permission, has
from deskpilot.accounts.schemas import TeamCreate, UserCreate, UserUpdate
from deskpilot.errors import DomainError
from deskpilot.tickets.models import Queue
from deskpilot.tickets.setup_schemas import EscalationPathUpdate, QueueCreate, QueueUpdate
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


def user_update(*, full_name: str, role: str, team_ids: list[str] | None, is_vip: bool
                ) -> UserUpdate | dict[str, str]:
    """The change to a user's name, role, teams and VIP flag, or the problems per field."""
    try:
        return UserUpdate.model_validate({"full_name": full_name.strip(), "role": role, "team_ids": _ids(team_ids),
                                          "is_vip": is_vip})
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


ESCALATION_ROWS_MAX = 10
_BLANK_ROWS = 2


@dataclass
class EscalationRow:
    """One level of a queue's escalation path as typed; a blank level number or a ticked Remove drops the row."""

    level: str = ""
    trigger: str = "breach"
    after_minutes: str = "0"
    notify_team_id: str = ""
    notify_role: str = ""
    remove: bool = False

    @property
    def kept(self) -> bool:
        return bool(self.level.strip()) and not self.remove


@dataclass
class EscalationForm:
    rows: list[EscalationRow] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)

    @classmethod
    def of(cls, queue: Queue) -> EscalationForm:
        """The queue's path, with blank rows to add levels."""
        rows = [EscalationRow(level=str(lvl.level), trigger=lvl.trigger, after_minutes=str(lvl.after_minutes),
                              notify_team_id=str(lvl.notify_team_id or ""), notify_role=lvl.notify_role or "")
                for lvl in queue.escalation_levels]
        blank = min(_BLANK_ROWS, ESCALATION_ROWS_MAX - len(rows))
        return cls(rows=rows + [EscalationRow() for _ in range(max(0, blank))])

    @classmethod
    def posted(cls, form: dict[str, str]) -> EscalationForm:
        """The rows of a posted form (fields level_0, trigger_0, ... up to ESCALATION_ROWS_MAX rows)."""
        count = int(form["rows"]) if form.get("rows", "").isdigit() else 0
        return cls(rows=[EscalationRow(
            level=form.get(f"level_{i}", ""), trigger=form.get(f"trigger_{i}", ""),
            after_minutes=form.get(f"after_minutes_{i}", "") or "0", notify_team_id=form.get(f"notify_team_{i}", ""),
            notify_role=form.get(f"notify_role_{i}", ""), remove=f"remove_{i}" in form)
            for i in range(min(count, ESCALATION_ROWS_MAX))])

    def to_update(self) -> EscalationPathUpdate | None:
        """The path to save, or None with the problems marked on their rows."""
        kept = [i for i, row in enumerate(self.rows) if row.kept]
        levels: list[dict[str, Any]] = [{
            "level": self.rows[i].level.strip(), "trigger": self.rows[i].trigger,
            "after_minutes": self.rows[i].after_minutes.strip(), "notify_team_id": self.rows[i].notify_team_id or None,
            "notify_role": self.rows[i].notify_role or None} for i in kept]
        try:
            return EscalationPathUpdate.model_validate({"levels": levels})
        except ValidationError as exc:
            for error in exc.errors():
                location = error["loc"]
                row = kept[int(location[1])] if len(location) > 1 and isinstance(location[1], int) else 0
                where = f"{location[2]}: " if len(location) > 2 else ""
                self.errors.setdefault(row, where + str(error["msg"]).removeprefix("Value error, "))
            return None
