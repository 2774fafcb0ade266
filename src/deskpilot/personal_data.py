"""What an owner of personal data (an area, a channel, a connector) hands the privacy flow about one person.

Every owner describes its own rows as a `Section` through a `PersonalDataSource`, so the privacy flow (export
today, erasure next) never reads another owner's tables, and a new owner of data cannot be forgotten by it.
Plain data and a Protocol, so that every layer may import it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from deskpilot.config import Settings


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


@runtime_checkable
class PersonalDataSource(Protocol):
    """An owner of personal data, under its `name` (the section's name in the archive)."""

    @property
    def name(self) -> str: ...

    def collect(self, session: Session, *, settings: Settings, person: Person) -> Section:
        """Everything this owner holds about `person`, read inside the caller's transaction."""


@dataclass(frozen=True, slots=True)
class FunctionSource:
    """A source made of a name and a collecting function `(session, *, person)`, which is how every owner
    writes one; a function that reads files (under DATA_DIR) also takes `settings` and says so."""

    name: str
    function: Callable[..., Section]
    reads_files: bool = False

    def collect(self, session: Session, *, settings: Settings, person: Person) -> Section:
        if self.reads_files:
            return self.function(session, settings=settings, person=person)
        return self.function(session, person=person)


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
