"""Settings an administrator overrides in the browser, stored in the database and read per request.

`Settings` come from the environment once per process; an override is the newest `SettingVersion` of a name
and wins over it. `apply` reads the overrides (one query on a table of a few rows) into a copy of the process
settings, so a change made through one app process holds in every other at its next request. Every change is
validated against the setting's own constraints in `Settings`, stored as the next version and audited; the
values of secrets never reach the audit log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.config import Settings
from deskpilot.errors import Conflict, InvalidInput
from deskpilot.governance.sealed_settings import is_secret, opened, sealed
from deskpilot.governance.setting_models import SettingVersion

log = logging.getLogger(__name__)
Source = Literal["default", "env", "admin"]


@dataclass(frozen=True)
class Current:
    """A setting's value in force and where it comes from; `version` is the override's, when one holds."""

    name: str
    value: Any
    source: Source
    version: int | None = None
    changed_by: str | None = None
    changed_at: datetime | None = None


def _adapter(name: str) -> TypeAdapter[Any]:
    field = Settings.model_fields.get(name)
    if field is None:
        raise InvalidInput(f"{name!r} is not a setting of deskpilot")
    kind: Any = Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
    return TypeAdapter(kind)


def validated(name: str, value: Any) -> Any:
    """`value` checked against the setting's type and range in `Settings`, as JSON; InvalidInput says why not."""
    adapter = _adapter(name)
    try:
        return adapter.dump_python(adapter.validate_python(value), mode="json")
    except ValidationError as exc:
        problem = exc.errors()[0]
        raise InvalidInput(f"{name}: {problem['msg']} (got {problem.get('input')!r})") from None


def typed(name: str, value: Any) -> Any:
    """`value` as the setting's own type (checked)."""
    return _adapter(name).validate_python(validated(name, value))


def _newest(session: Session) -> dict[str, SettingVersion]:
    newest = select(SettingVersion.name, func.max(SettingVersion.version).label("version")).group_by(
        SettingVersion.name).subquery()
    rows = session.scalars(select(SettingVersion).join(newest, (SettingVersion.name == newest.c.name)
                                                       & (SettingVersion.version == newest.c.version)))
    return {row.name: row for row in rows}


def overrides(session: Session, settings: Settings) -> dict[str, Any]:
    """The overrides in force, by setting name, as typed values with their secrets opened (a stored value the
    settings no longer accept is skipped and logged: the environment's value holds)."""
    found: dict[str, Any] = {}
    for name, row in _newest(session).items():
        if row.value is None or name not in Settings.model_fields:
            continue
        try:
            found[name] = _adapter(name).validate_python(opened(row.value, settings))
        except ValidationError:
            log.warning("the stored override of %s (version %d) is not valid any more; ignored", name, row.version)
    return found


def apply(session: Session, settings: Settings) -> Settings:
    """The settings in force for this request: the process's, with the administrators' overrides on top."""
    found = overrides(session, settings)
    return settings.model_copy(update=found) if found else settings


def current(session: Session, settings: Settings, names: list[str]) -> list[Current]:
    """Each of `names` with its value in force and its source: default, env (set for this process) or admin."""
    newest = _newest(session)
    result = []
    for name in names:
        row = newest.get(name)
        if row is not None and row.value is not None:
            result.append(Current(name, _adapter(name).validate_python(opened(row.value, settings)), "admin",
                                  row.version,
                                  row.changed_by, row.changed_at))
        else:
            source: Source = "env" if name in settings.model_fields_set else "default"
            result.append(Current(name, getattr(settings, name), source, row.version if row else None,
                                  row.changed_by if row else None, row.changed_at if row else None))
    return result


def history(session: Session, name: str) -> list[SettingVersion]:
    """Every version of `name`'s override, newest first."""
    return list(session.scalars(select(SettingVersion).where(SettingVersion.name == name)
                                .order_by(SettingVersion.version.desc())))


def _shown(name: str, value: Any) -> Any:
    if value is None or not is_secret(name):
        return value
    return "(set)" if value else "(empty)"


def change(session: Session, *, actor: Principal, name: str, value: Any, reason: str = "",
           audit_as: str = "settings.changed", shown: Any = None, settings: Settings | None = None) -> SettingVersion:
    """Store `value` (None: take the override back) as the next version of `name`, audited as `audit_as`, its
    secrets sealed with the keys `settings` locate. The caller checks the permission; `shown` is what the audit
    log records instead of a value holding secrets."""
    stored = None if value is None else sealed(name, validated(name, value), settings)
    newest = _newest(session).get(name)
    row = SettingVersion(name=name, version=(newest.version if newest else 0) + 1, value=stored,
                         reason=reason.strip()[:500], changed_by=actor.username)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(f"{name} was changed by someone else at the same moment; look at it again and retry") from None
    before = newest.value if newest else None
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action=audit_as,
                 subject_type="setting", subject_id=name,
                 before={"value": _shown(name, before) if shown is None else "(replaced)", "version": newest.version
                         if newest else None},
                 after={"value": _shown(name, stored) if shown is None else shown, "version": row.version,
                        "reason": row.reason})
    return row
