"""Typed runbook parameters. Values are checked against their type before anything is templated, so a
directory name can never carry LDAP filter characters, DN separators or control characters."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from deskpilot.errors import InvalidInput

# A directory name (uid, sAMAccountName, group cn): letters, digits and . _ - only. This excludes
# every LDAP filter metacharacter (* ( ) \ NUL) and every DN special (, = + < > # ; " and spaces).
DIRECTORY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MASK = "********"


class ParameterType(StrEnum):
    USERNAME = "username"
    GROUP = "group"
    PASSWORD = "password"
    TEXT = "text"
    INTEGER = "integer"


SECRET_TYPES = frozenset({ParameterType.PASSWORD})


def directory_name(value: Any, *, what: str) -> str:
    """A user or group name that is safe anywhere in LDAP; anything else is refused, never escaped."""
    if not isinstance(value, str) or not DIRECTORY_NAME.fullmatch(value):
        raise InvalidInput(f"{what} must be 1–64 letters, digits, '.', '_' or '-' (got {_shown(value)}).")
    return value


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _text(value: Any, *, name: str, max_length: int) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text.")
    if _CONTROL.search(value):
        raise InvalidInput(f"{name} must not contain control characters.")
    if len(value) > max_length:
        raise InvalidInput(f"{name} must be at most {max_length} characters.")
    return value


def coerce(kind: ParameterType, value: Any, *, name: str, max_length: int) -> str | int:
    """The value as its type, or InvalidInput naming the parameter (secrets are never echoed)."""
    if kind in (ParameterType.USERNAME, ParameterType.GROUP):
        return directory_name(value, what=name)
    if kind is ParameterType.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).lstrip("-").isdigit():
            raise InvalidInput(f"{name} must be a whole number.")
        return int(value)
    if kind is ParameterType.PASSWORD:
        if not isinstance(value, str) or not value or _CONTROL.search(value) or len(value) > 256:
            raise InvalidInput(f"{name} must be a non-empty password without control characters.")
        return value
    return _text(value, name=name, max_length=max_length)


def masked(values: Mapping[str, Any], secrets: frozenset[str]) -> dict[str, Any]:
    """The values with every secret replaced by a mask, as stored and audited."""
    return {k: (MASK if k in secrets else v) for k, v in values.items()}


def scrub(value: Any, secrets: Iterable[str]) -> Any:
    """`value` with every occurrence of a secret replaced by the mask, however deeply nested."""
    secrets = [s for s in secrets if s]
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {k: scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v, secrets) for v in value]
    return value
