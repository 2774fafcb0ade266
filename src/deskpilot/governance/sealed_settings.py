"""Secrets inside stored setting overrides (SMTP and LDAP passwords, a mailbox's password and OAuth2 secrets) are
sealed with the keys outside the database (`encryption_keys.py`) before they are stored, and opened when read:
the `setting_versions` table holds no connection password in plain text."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.config import Settings
from deskpilot.encryption_keys import SEALED_PREFIX, Keyring
from deskpilot.governance.setting_models import SettingVersion

SECRET_WORDS = ("password", "secret", "api_key", "token")


def is_secret(name: str) -> bool:
    return any(word in name for word in SECRET_WORDS)


def _has_secret(name: str, value: Any) -> bool:
    if isinstance(value, str):
        return bool(value) and is_secret(name)
    if isinstance(value, dict):
        return any(_has_secret(key, item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_secret(name, item) for item in value)
    return False


def _seal(name: str, value: Any, keyring: Keyring) -> Any:
    if isinstance(value, str):
        return keyring.seal(value) if value and is_secret(name) and not value.startswith(SEALED_PREFIX) else value
    if isinstance(value, dict):
        return {key: _seal(key, item, keyring) for key, item in value.items()}
    if isinstance(value, list):
        return [_seal(name, item, keyring) for item in value]
    return value


def sealed(name: str, value: Any, settings: Settings | None) -> Any:
    """`value` (JSON) as stored for setting `name`: its secrets sealed. Settings locate the keys; a value with a
    secret needs them."""
    if not _has_secret(name, value):
        return value
    if settings is None:
        raise ValueError(f"storing {name} seals its secrets: pass the settings that locate the keys")
    return _seal(name, value, Keyring.from_settings(settings))


def _is_sealed(value: Any) -> bool:
    if isinstance(value, str):
        return value.startswith(SEALED_PREFIX)
    if isinstance(value, dict):
        return any(_is_sealed(item) for item in value.values())
    if isinstance(value, list):
        return any(_is_sealed(item) for item in value)
    return False


def _open(value: Any, keyring: Keyring) -> Any:
    if isinstance(value, str):
        return keyring.open(value)
    if isinstance(value, dict):
        return {key: _open(item, keyring) for key, item in value.items()}
    if isinstance(value, list):
        return [_open(item, keyring) for item in value]
    return value


def opened(value: Any, settings: Settings) -> Any:
    """A stored value with its sealed secrets opened (the keys are read only when there is one)."""
    return _open(value, Keyring.from_settings(settings)) if _is_sealed(value) else value


def reseal(session: Session, settings: Settings) -> int:
    """Seal every stored secret again with the current key (after a new one was added); returns how many
    versions changed. Every key stays readable, so processes that have not seen the new key yet keep working."""
    keyring = Keyring.from_settings(settings)
    changed = 0
    for row in session.scalars(select(SettingVersion)):
        if _has_secret(row.name, row.value):
            row.value = _seal(row.name, _open(row.value, keyring), keyring)
            changed += 1
    session.flush()
    return changed
