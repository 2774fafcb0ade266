"""The right of access: everything the desk holds about one person, as one archive a machine and a person
can read (JSON per kind of record, the files as they are stored, a README and a manifest with checksums)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from deskpilot import content_store
from deskpilot.accounts import permissions
from deskpilot.accounts import service as accounts
from deskpilot.accounts.models import User
from deskpilot.accounts.permissions import Permission
from deskpilot.accounts.principal import Principal
from deskpilot.audit import personal_data as audit_data
from deskpilot.audit import service as audit
from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.errors import NotFound
from deskpilot.personal_data import Person, PersonalDataSource, Section
from deskpilot.privacy.readme import readme
from deskpilot.privacy.sources import all_sources

FORMAT = "deskpilot-personal-data/1"
Progress = Callable[[str, int], None]


@dataclass(frozen=True, slots=True)
class ExportSummary:
    person: Person
    path: Path
    records: dict[str, int]
    files: int
    missing_files: list[str]
    sha256: str


def find_person(session: Session, *, reference: str) -> Person:
    """The person named by their user id, username or e-mail address, or NotFound saying what was looked for."""
    text = reference.strip()
    user = session.get(User, int(text)) if text.isdigit() else (
        accounts.get_by_username(session, username=text.lower()) or accounts.get_by_email(session, email=text))
    if user is None:
        raise NotFound(f"Nobody has the user id, username or e-mail address {reference!r}; "
                       "`deskpilot users list` shows who exists.")
    return Person(user_id=user.id, username=user.username, email=user.email, full_name=user.full_name)


def collect(session: Session, *, settings: Settings, person: Person,
            sources: Sequence[PersonalDataSource] | None = None, progress: Progress | None = None) -> list[Section]:
    """Every owner's section about `person`, the audit log's last (it needs the others' subjects)."""
    sections: list[Section] = []
    for source in all_sources() if sources is None else sources:
        section = source.collect(session, settings=settings, person=person)
        sections.append(section)
        if progress is not None:
            progress(section.name, section.record_count)
    subjects = set().union(*(section.subjects for section in sections))
    sections.append(audit_data.collect(session, person=person, subjects=subjects))
    if progress is not None:
        progress(sections[-1].name, sections[-1].record_count)
    return sections


def export_person(session: Session, *, settings: Settings, actor: Principal, person: Person, output: Path,
                  sources: Sequence[PersonalDataSource] | None = None,
                  progress: Progress | None = None) -> ExportSummary:
    """Write the person's archive to `output` (whole or not at all) and audit who exported whose data."""
    permissions.require(actor, Permission.PRIVACY_MANAGE)
    sections = collect(session, settings=settings, person=person, sources=sources, progress=progress)
    made_at = utcnow()
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=".export-", suffix=".zip")
    os.close(handle)
    try:
        files, missing = _write(Path(temporary), sections, person=person, actor=actor, made_at=made_at.isoformat())
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    digest = hashlib.sha256(output.read_bytes()).hexdigest()
    records = {section.name: section.record_count for section in sections}
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="privacy.export",
                 subject_type="user", subject_id=person.user_id,
                 after={"records": records, "files": files, "missing_files": missing, "sha256": digest})
    return ExportSummary(person=person, path=output, records=records, files=files,
                         missing_files=missing, sha256=digest)


def _write(path: Path, sections: list[Section], *, person: Person, actor: Principal,
           made_at: str) -> tuple[int, list[str]]:
    """The archive at `path`; returns how many stored files it holds and which were missing from disk."""
    checksums: dict[str, str] = {}
    missing: list[str] = []
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        def put(name: str, data: bytes) -> None:
            archive.writestr(name, data)
            checksums[name] = hashlib.sha256(data).hexdigest()

        for section in sections:
            for kind, rows in section.records.items():
                put(f"{section.name}/{kind}.json", _json(rows))
            for stored in section.files:
                name = f"{section.name}/files/{stored.name}"
                if stored.path.is_file():
                    put(name, content_store.read(stored.path))
                else:
                    missing.append(name)
        put("README.md", readme(sections, person=person, made_at=made_at, made_by=actor.username,
                                missing=missing).encode())
        manifest = {"format": FORMAT, "person": _person(person), "made_at": made_at, "made_by": actor.username,
                    "sections": [{"name": s.name, "description": s.description,
                                  "records": {kind: len(rows) for kind, rows in s.records.items()}}
                                 for s in sections],
                    "missing_files": missing, "sha256": dict(checksums)}
        archive.writestr("manifest.json", _json(manifest))
    return sum(len(section.files) for section in sections) - len(missing), missing


def _person(person: Person) -> dict[str, Any]:
    return {"user_id": person.user_id, "username": person.username, "email": person.email,
            "full_name": person.full_name}


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str).encode()
