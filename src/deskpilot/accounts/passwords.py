"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from deskpilot.errors import InvalidInput

_hasher = PasswordHasher()
_dummy_hash: str | None = None  # made with the configured cost on first use, so it costs what a real one does
MIN_LENGTH = 10


def configure_hasher(*, time_cost: int, memory_kib: int) -> None:
    """Set argon2id's cost (from Settings); existing hashes keep verifying with their own parameters."""
    global _hasher, _dummy_hash
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
    _dummy_hash = None


def hash_password(password: str) -> str:
    check_policy(password)
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; without a hash (no such user, no local password) it is checked against a
    throw-away hash all the same, so the time taken does not tell whether an account exists."""
    global _dummy_hash
    if not password_hash:
        _dummy_hash = _dummy_hash or _hasher.hash(secrets.token_urlsafe(16))
        _verify(_dummy_hash, password)
        return False
    return _verify(password_hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_policy(password: str) -> None:
    """At least 10 characters with letters and a digit or symbol; raise InvalidInput saying what is missing."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"at least {MIN_LENGTH} characters")
    if not any(c.isalpha() for c in password):
        problems.append("a letter")
    if not any(not c.isalpha() for c in password):
        problems.append("a digit or symbol")
    if len(password) > 256:
        raise InvalidInput("The password is too long (at most 256 characters).")
    if problems:
        raise InvalidInput("The password needs " + ", ".join(problems) + ".")
