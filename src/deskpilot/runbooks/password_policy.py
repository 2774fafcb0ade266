"""The password policy self-service enforces before anything reaches the directory."""

from __future__ import annotations

import string

from deskpilot.config import Settings
from deskpilot.errors import InvalidInput

_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits)


def check(password: str, *, settings: Settings, username: str) -> None:
    """InvalidInput listing every rule the password breaks (the password itself is never echoed)."""
    problems = []
    if len(password) < settings.password_min_length:
        problems.append(f"at least {settings.password_min_length} characters")
    if len(password) > 128:
        problems.append("at most 128 characters")
    classes = sum(any(c in chars for c in password) for chars in _CLASSES)
    classes += any(not c.isalnum() for c in password)
    if classes < settings.password_min_classes:
        problems.append(f"at least {settings.password_min_classes} of: lower case, upper case, digits, symbols")
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        problems.append("no control characters")
    if username and username.lower() in password.lower():
        problems.append("must not contain your user name")
    if problems:
        raise InvalidInput("The new password does not meet the policy: " + "; ".join(problems) + ".")
