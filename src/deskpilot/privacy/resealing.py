"""Seal again, with the current key, every message body in the database and every kept file in DATA_DIR that is
not sealed with it yet: values stored before encryption at rest, or sealed with a key that is being retired.

Each value is opened with whichever key sealed it and written back sealed with the current one, so readers keep
working throughout (every key stays in the keyring until nothing needs it). Rows go in batches by id, files one
by one with an atomic rename: a run that stops half-way leaves a readable mix that the next run finishes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Column, LargeBinary, MetaData, Table, Text, select, type_coerce, update
from sqlalchemy.orm import Session

from deskpilot import content_store
from deskpilot.config import Settings
from deskpilot.sealed_storage import (
    SealedBytes,
    SealedText,
    file_needs_sealing,
    open_file,
    open_text,
    seal_file,
    text_needs_sealing,
)
from deskpilot.tickets.attachments import UPLOAD_PREFIX

BATCH = 500
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Resealed:
    """How many stored values and files were sealed again."""

    values: int
    files: int


@dataclass(frozen=True)
class _Kind:
    """How one kind of sealed column is read as stored, and told whether it needs sealing again."""

    stored: type[Text] | type[LargeBinary]
    needs_sealing: Callable[[Any], bool]
    opened: Callable[[Any], Any]


_KINDS: dict[type[Any], _Kind] = {
    SealedText: _Kind(Text, text_needs_sealing, open_text),
    SealedBytes: _Kind(LargeBinary, lambda data: bool(data) and file_needs_sealing(data), open_file),
}


def sealed_columns(metadata: MetaData) -> Iterator[tuple[Table, list[Column[Any]]]]:
    """Every table with values sealed at rest, and those columns."""
    for table in metadata.sorted_tables:
        columns = [column for column in table.columns if type(column.type) in _KINDS]
        if columns:
            yield table, columns


def reseal_values(session: Session, metadata: MetaData, progress: Progress | None = None) -> int:
    """Seal every sealed column's values with the current key; returns how many values changed."""
    changed = 0
    for table, columns in sealed_columns(metadata):
        key = table.c.id
        kinds = {column.name: _KINDS[type(column.type)] for column in columns}
        stored = [type_coerce(column, kinds[column.name].stored).label(column.name) for column in columns]
        # Sealing again changes nothing a reader sees: columns stamped on update keep their value.
        kept = {column.name: column for column in table.columns if column.onupdate is not None}
        last = 0
        while rows := session.execute(select(key, *stored).where(key > last).order_by(key).limit(BATCH)).all():
            for row in rows:
                values = {name: kind.opened(getattr(row, name)) for name, kind in kinds.items()
                          if getattr(row, name) is not None and kind.needs_sealing(getattr(row, name))}
                if values:
                    session.execute(update(table).where(key == row.id).values({**kept, **values}))
                    changed += len(values)
            last = rows[-1].id
        session.flush()
        if progress is not None:
            progress(f"{table.name}: sealed")
    return changed


def kept_file_roots(settings: Settings) -> list[Path]:
    """The directories of the content store: uploaded files, and raw mail with its parts."""
    return [settings.data_dir / UPLOAD_PREFIX, settings.mail_dir]


def reseal_files(settings: Settings) -> int:
    """Seal every kept file with the current key; returns how many files changed."""
    changed = 0
    for root in kept_file_roots(settings):
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if not path.is_file() or path.name.startswith("."):
                continue
            data = path.read_bytes()
            if file_needs_sealing(data):
                content_store.replace(path, seal_file(open_file(data)))
                changed += 1
    return changed


def reseal(session: Session, *, settings: Settings, metadata: MetaData,
           progress: Progress | None = None) -> Resealed:
    """Seal every stored message body and kept file with the current key (the files first: they do not roll
    back with the transaction, and sealing one twice is harmless)."""
    files = reseal_files(settings)
    return Resealed(values=reseal_values(session, metadata, progress), files=files)
