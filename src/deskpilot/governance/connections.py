"""The desk's mail and directory connections as administrators see and change them in the browser.

Each field is a `Settings` field (SMTP, LDAP) or the list of IMAP mailboxes; a change is stored as the field's
next override version (`overrides`), validated by the settings' own rules, and audited as
`connection.changed`. Secrets are write-only: never returned, a blank secret keeps the stored one, and the
audit log records only that it was set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.config import MailboxSettings, Settings
from deskpilot.errors import InvalidInput, NotFound
from deskpilot.governance import overrides
from deskpilot.governance.sealed_settings import is_secret

GROUPS: dict[str, tuple[str, ...]] = {
    "smtp": ("mail_smtp_host", "mail_smtp_port", "mail_smtp_username", "mail_smtp_password", "mail_smtp_starttls",
             "mail_address"),
    "ldap": ("ldap_url", "ldap_flavour", "ldap_bind_dn", "ldap_bind_password", "ldap_base_dn", "ldap_user_base_dn",
             "ldap_group_base_dn", "ldap_user_attribute", "ldap_match_field", "ldap_tls_ca_file",
             "ldap_timeout_seconds"),
}
MAILBOXES = "mail_mailboxes"
MAILBOX_FIELDS = ("name", "host", "port", "username", "password", "folder", "ssl")
AUDIT_ACTION = "connection.changed"


@dataclass(frozen=True)
class Field:
    """One connection field as shown: a secret's value is only whether it is set."""

    name: str
    value: Any
    source: overrides.Source
    secret: bool


def listing(session: Session, *, actor: Principal, settings: Settings, group: str) -> list[Field]:
    """The fields of `group` ("smtp" or "ldap") in force, with their source; secrets as set / not set."""
    require(actor, Permission.SETTINGS_MANAGE)
    found = overrides.current(session, settings, list(_group(group)))
    return [Field(c.name, bool(c.value) if is_secret(c.name) else _plain(c.value), c.source,
                  is_secret(c.name)) for c in found]


def mailboxes(session: Session, *, actor: Principal, settings: Settings) -> tuple[list[dict[str, Any]], str]:
    """The IMAP mailboxes in force (passwords as set / not set) and where the list comes from."""
    require(actor, Permission.SETTINGS_MANAGE)
    now = overrides.current(session, settings, [MAILBOXES])[0]
    return [{**box.model_dump(include=set(MAILBOX_FIELDS)), "password": bool(box.password),
             "oauth2": box.oauth2 is not None} for box in now.value], now.source


def in_force(session: Session, settings: Settings) -> Settings:
    """The settings with the administrators' connection (and other) overrides applied."""
    return overrides.apply(session, settings)


def _changed(current: Settings, group: str, values: dict[str, str]) -> dict[str, Any]:
    """The fields of `group` typed in `values` that differ from `current`, each checked (a blank secret keeps
    the stored one)."""
    wanted: dict[str, Any] = {}
    for name in _group(group):
        if name not in values or (is_secret(name) and not values[name]):
            continue
        typed = values[name].strip() if not is_secret(name) else values[name]
        if overrides.validated(name, typed) != overrides.validated(name, getattr(current, name)):
            wanted[name] = typed
    return wanted


def trial(session: Session, *, actor: Principal, settings: Settings, group: str, values: dict[str, str]
          ) -> Settings:
    """The settings in force with `values` typed for `group` applied, nothing stored: what "Test connection"
    tries before the administrator saves."""
    require(actor, Permission.SETTINGS_MANAGE)
    current = in_force(session, settings)
    wanted = _changed(current, group, values)
    return current.model_copy(update={name: overrides.typed(name, value) for name, value in wanted.items()})


def change(session: Session, *, actor: Principal, settings: Settings, group: str, values: dict[str, str],
           reason: str = "") -> list[str]:
    """Store the fields of `group` typed in `values` that differ from what is in force (a blank secret keeps the
    stored one); all are checked before any is stored. Returns the names changed."""
    require(actor, Permission.SETTINGS_MANAGE)
    wanted = _changed(in_force(session, settings), group, values)
    for name, value in wanted.items():
        overrides.change(session, actor=actor, name=name, value=value, reason=reason, audit_as=AUDIT_ACTION,
                         settings=settings)
    return list(wanted)


def trial_mailbox(session: Session, *, actor: Principal, settings: Settings, values: dict[str, str]
                  ) -> MailboxSettings:
    """The mailbox as typed (a blank password: the stored one), checked, nothing stored."""
    require(actor, Permission.SETTINGS_MANAGE)
    return _typed_mailbox(list(in_force(session, settings).mail_mailboxes), values)


def save_mailbox(session: Session, *, actor: Principal, settings: Settings, values: dict[str, str],
                 reason: str = "") -> MailboxSettings:
    """Add an IMAP mailbox or change the one of the same name (a blank password keeps its password)."""
    require(actor, Permission.SETTINGS_MANAGE)
    boxes = list(in_force(session, settings).mail_mailboxes)
    box = _typed_mailbox(boxes, values)
    existing = any(other.name == box.name for other in boxes)
    new = [box if other.name == box.name else other for other in boxes] if existing else [*boxes, box]
    what = f"{'changed' if existing else 'added'} {box.name}"
    _store_mailboxes(session, actor=actor, settings=settings, boxes=new, reason=reason, what=what)
    return box


def _typed_mailbox(boxes: list[MailboxSettings], values: dict[str, str]) -> MailboxSettings:
    name = values.get("name", "").strip()
    existing = next((box for box in boxes if box.name == name), None)
    typed: dict[str, Any] = {key: values[key].strip() for key in MAILBOX_FIELDS if key in values and key != "ssl"}
    typed["ssl"] = values.get("ssl", "") in {"on", "true"}
    if not values.get("password") and existing is not None:
        typed["password"] = existing.password
    else:
        typed["password"] = values.get("password", "")
    base = existing.model_dump() if existing else {}
    try:
        return MailboxSettings.model_validate({**base, **typed})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(f"Mailbox {name or '(no name)'}: {where}: {first['msg']}") from None


def remove_mailbox(session: Session, *, actor: Principal, settings: Settings, name: str, reason: str = "") -> None:
    require(actor, Permission.SETTINGS_MANAGE)
    boxes = list(in_force(session, settings).mail_mailboxes)
    if not any(box.name == name for box in boxes):
        raise NotFound(f"No mailbox is named {name!r}.")
    _store_mailboxes(session, actor=actor, settings=settings, boxes=[b for b in boxes if b.name != name], reason=reason,
                     what=f"removed {name}")


def mailbox(session: Session, settings: Settings, name: str) -> MailboxSettings:
    """The mailbox `name` in force, password included (for a connection test, never for showing)."""
    found = next((box for box in in_force(session, settings).mail_mailboxes if box.name == name), None)
    if found is None:
        raise NotFound(f"No mailbox is named {name!r}.")
    return found


def _store_mailboxes(session: Session, *, actor: Principal, settings: Settings, boxes: list[MailboxSettings],
                     reason: str, what: str) -> None:
    overrides.change(session, actor=actor, name=MAILBOXES, value=[box.model_dump(mode="json") for box in boxes],
                     reason=reason, audit_as=AUDIT_ACTION, shown={"mailboxes": [box.name for box in boxes],
                                                                  "change": what}, settings=settings)


def _group(group: str) -> tuple[str, ...]:
    names = GROUPS.get(group)
    if names is None:
        raise NotFound(f"{group!r} is not a connection; the connections are: {', '.join(GROUPS)} and mailboxes")
    return names


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)
