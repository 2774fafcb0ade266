"""What an owner of personal data (an area, a channel, a connector) hands the privacy flow about one person.

Every owner describes its own rows as a `Section` through a `PersonalDataSource`, and erases or irreversibly
pseudonymises them on request (`erase`), so the privacy flow (export, erasure) never reads or writes another
owner's tables, and a new owner of data cannot be forgotten by it. Plain data and a Protocol, so that every
layer may import it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from deskpilot.config import Settings
from deskpilot.errors import Conflict


@dataclass(frozen=True, slots=True)
class Person:
    """The person whose data is asked for, as the accounts area knows them."""

    user_id: int
    username: str
    email: str
    full_name: str


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file kept in DATA_DIR that belongs in the archive, under `name` inside the section's folder."""

    name: str
    path: Path


@dataclass(slots=True)
class Section:
    """What one owner holds about the person: records (JSON-able), the files they refer to, and the audit
    subjects (`(subject_type, subject_id)`) those records are, so the audit log's events about them are found."""

    name: str
    description: str
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    files: list[StoredFile] = field(default_factory=list)
    subjects: set[tuple[str, str]] = field(default_factory=set)

    @property
    def record_count(self) -> int:
        return sum(len(rows) for rows in self.records.values())


ERASED = "[erased]"


@dataclass(frozen=True, slots=True)
class Erasure:
    """What an owner needs to erase a person: who, the pseudonym that replaces them, and every identifier
    (name, e-mail, username, and what the request adds: phone, employee number) to scrub from free text
    that others wrote about them."""

    person: Person
    identifiers: tuple[str, ...]
    # Identifiers known only by their keyed digests (`seal`): an erasure the ledger re-applies after a restore.
    sealed: frozenset[str] = frozenset()
    seal_key: bytes = b""

    @property
    def pseudonym(self) -> str:
        return f"erased-{self.person.user_id}"

    @property
    def pseudonym_email(self) -> str:
        return f"erased-{self.person.user_id}@erased.invalid"

    def _pattern(self) -> re.Pattern[str] | None:
        terms = sorted({term for term in self.identifiers if len(term) >= 3}, key=len, reverse=True)
        if not terms:
            return None
        return re.compile("|".join(rf"(?<!\w){re.escape(term)}(?!\w)" for term in terms), re.IGNORECASE)

    def mentions(self, text: str | None) -> bool:
        if not text:
            return False
        pattern = self._pattern()
        return (pattern is not None and pattern.search(text) is not None) or bool(self._sealed_spans(text))

    def scrub(self, text: str) -> str:
        """`text` with every identifier of the person replaced by `[erased]`."""
        pattern = self._pattern()
        text = text if pattern is None else pattern.sub(ERASED, text)
        for start, end in reversed(self._sealed_spans(text)):
            text = text[:start] + ERASED + text[end:]
        return text

    def _sealed_spans(self, text: str) -> list[tuple[int, int]]:
        """Where `text` holds a sealed identifier: every stretch of a sealed length between word boundaries
        (as the pattern's) whose digest is sealed, leftmost first and not overlapping."""
        if not self.sealed:
            return []
        lengths = sorted({int(digest.split(":", 1)[0]) for digest in self.sealed}, reverse=True)
        spans: list[tuple[int, int]] = []
        start = 0
        while start < len(text):
            found = None
            if start == 0 or not _word(text[start - 1]):
                found = next((start + length for length in lengths if start + length <= len(text)
                              and (start + length == len(text) or not _word(text[start + length]))
                              and seal(self.seal_key, text[start:start + length]) in self.sealed), None)
            if found is None:
                start += 1
                continue
            spans.append((start, found))
            start = found
        return spans

    def scrub_json(self, value: Any) -> Any:
        """A JSON value with every identifier scrubbed from its strings (keys included)."""
        if value is None:
            return None
        return json.loads(self.scrub(json.dumps(value, ensure_ascii=False)))


def _word(character: str) -> bool:
    return character.isalnum() or character == "_"


def seal(key: bytes, identifier: str) -> str:
    """An identifier's keyed digest, with its length (to find it in text without knowing it): `N:hex`."""
    digest = hmac.new(key, b"deskpilot erasure ledger\0" + identifier.lower().encode("utf-8"), hashlib.sha256)
    return f"{len(identifier)}:{digest.hexdigest()}"


def identifiers_of(person: Person, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The person's identifiers: full name and each part of it, e-mail and its local part, username, extras."""
    local = person.email.split("@", 1)[0]
    found = [person.full_name, *person.full_name.split(), person.email, local, person.username, *extra]
    return tuple(dict.fromkeys(term.strip() for term in found if len(term.strip()) >= 3))


@dataclass(frozen=True, slots=True)
class Change:
    """What erasing did (or, in a dry run, would do) to one kind of record of one owner."""

    source: str
    kind: str
    count: int
    action: str

    def as_json(self) -> dict[str, Any]:
        return {"source": self.source, "kind": self.kind, "count": self.count, "action": self.action}


@runtime_checkable
class PersonalDataSource(Protocol):
    """An owner of personal data, under its `name` (the section's name in the archive)."""

    @property
    def name(self) -> str: ...

    def collect(self, session: Session, *, settings: Settings, person: Person) -> Section:
        """Everything this owner holds about `person`, read inside the caller's transaction."""

    def erase(self, session: Session, *, settings: Settings, erasure: Erasure, apply: bool) -> list[Change]:
        """Remove or irreversibly pseudonymise the person in this owner's rows and files (with `apply`), or
        only say what that would change (without); idempotent, so a resumed erasure may run it again."""


Eraser = Callable[..., list[Change]]


@dataclass(frozen=True, slots=True)
class FunctionSource:
    """A source made of a name, a collecting function `(session, *, person)` and an erasing function
    `(session, *, erasure, apply)`, which is how every owner writes one; functions that touch files (under
    DATA_DIR) also take `settings` and say so."""

    name: str
    function: Callable[..., Section]
    reads_files: bool = False
    eraser: Eraser | None = None

    def collect(self, session: Session, *, settings: Settings, person: Person) -> Section:
        if self.reads_files:
            return self.function(session, settings=settings, person=person)
        return self.function(session, person=person)

    def erase(self, session: Session, *, settings: Settings, erasure: Erasure, apply: bool) -> list[Change]:
        if self.eraser is None:
            raise Conflict(f"the personal-data source {self.name!r} cannot erase a person: its owner must add an "
                           "eraser before anyone can be erased")
        if self.reads_files:
            return self.eraser(session, settings=settings, erasure=erasure, apply=apply)
        return self.eraser(session, erasure=erasure, apply=apply)


def iso(value: Any) -> Any:
    """A datetime as ISO 8601 text, an enum as its value; anything else as it is."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return getattr(value, "value", value)


def columns(row: object, *, leave_out: Iterable[str] = ()) -> dict[str, Any]:
    """A mapped row as a JSON-able dict of its columns, without `leave_out` (secrets such as hashes)."""
    skipped = set(leave_out)
    return {attr.key: iso(getattr(row, attr.key)) for attr in inspect(row).mapper.column_attrs
            if attr.key not in skipped}
