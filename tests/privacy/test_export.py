"""The right of access: one person's archive holds every trace of them, and nobody else's."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.audit.models import AuditEvent
from deskpilot.cli import main
from deskpilot.db import unit_of_work
from deskpilot.errors import NotFound, PermissionDenied
from deskpilot.privacy.export import export_person, find_person
from deskpilot.tickets.models import TicketAttachment
from tests.privacy.conftest import Traces, markers


def _export(traces: Traces, reference: str, output: Path, actor: Principal | None = None) -> zipfile.ZipFile:
    with unit_of_work(traces.factory) as session:
        person = find_person(session, reference=reference)
        export_person(session, settings=traces.settings, actor=actor or Principal.system("cli"), person=person,
                      output=output)
    return zipfile.ZipFile(output)


def _text(archive: zipfile.ZipFile) -> str:
    return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


def test_the_archive_holds_every_trace_of_the_person_and_none_of_anybody_else(
        traces: Traces, tmp_path: Path, deskpilot_entry_points: Path) -> None:
    archive = _export(traces, "alice@northwind.example", tmp_path / "alice.zip")
    everything = _text(archive)
    for place, marker in markers("alice").items():
        assert marker in everything, f"alice's {place} is missing from her archive"
    for place, marker in markers("bob").items():
        assert marker not in everything, f"bob's {place} is in alice's archive"
    names = set(archive.namelist())
    assert {"README.md", "manifest.json", "account/account.json", "tickets/tickets.json",
            "conversations/messages.json", "email/received.json", "knowledge/unanswered_questions.json",
            "audit/audit_events.json", "audit/ai_decisions.json"} <= names
    assert any(name.startswith("email/files/") and name.endswith(".eml") for name in names), "the mail as received"
    account = json.loads(archive.read("account/account.json"))[0]
    assert account["email"] == "alice@northwind.example" and "password_hash" not in account


def test_the_manifest_checks_every_file_and_the_readme_says_what_each_part_is(
        traces: Traces, tmp_path: Path, deskpilot_entry_points: Path) -> None:
    archive = _export(traces, "alice", tmp_path / "alice.zip")
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["format"] == "deskpilot-personal-data/1" and manifest["person"]["username"] == "alice"
    for name, digest in manifest["sha256"].items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest, name
    assert set(manifest["sha256"]) == set(archive.namelist()) - {"manifest.json"}
    readme = archive.read("README.md").decode()
    for section in manifest["sections"]:
        assert f"`{section['name']}/`" in readme
    assert "Zorana Quillfeather" in readme and "GDPR" in readme


def test_an_export_is_audited_with_what_it_held(traces: Traces, tmp_path: Path, deskpilot_entry_points: Path) -> None:
    _export(traces, str(traces.desk.alice.id), tmp_path / "alice.zip")
    with traces.factory() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.export")).one()
        assert (event.actor_name, event.subject_type, event.subject_id) == ("cli", "user", str(traces.desk.alice.id))
        assert event.after["records"]["tickets"] >= 2 and event.after["files"] >= 2
        assert audit.verify(session).ok


def test_a_file_gone_from_disk_is_listed_not_fatal(traces: Traces, tmp_path: Path, deskpilot_entry_points: Path
                                                  ) -> None:
    with traces.factory() as session:
        stored = session.scalars(select(TicketAttachment).where(TicketAttachment.filename == "notes.txt")).first()
        assert stored is not None
        (traces.settings.data_dir / stored.path).unlink()
    archive = _export(traces, "alice", tmp_path / "alice.zip")
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["missing_files"] and "no longer on disk" in archive.read("README.md").decode()


def test_only_admins_export_and_an_unknown_person_is_named(traces: Traces, tmp_path: Path) -> None:
    lead = traces.desk.principal(traces.desk.lena)
    with pytest.raises(PermissionDenied):
        _export(traces, "alice", tmp_path / "a.zip", actor=lead)
    assert not (tmp_path / "a.zip").exists() and list(tmp_path.glob(".export-*")) == []
    with pytest.raises(NotFound, match="nobody@nowhere"):
        _export(traces, "nobody@nowhere.example", tmp_path / "b.zip")


def test_the_command_writes_the_archive_with_progress_and_names_a_missing_person(
        traces: Traces, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        deskpilot_entry_points: Path) -> None:
    monkeypatch.setenv("DESKPILOT_DATABASE_URL", traces.settings.resolved_database_url)
    monkeypatch.setenv("DESKPILOT_DATA_DIR", str(traces.settings.data_dir))
    output = tmp_path / "out" / "alice.zip"
    assert main(["privacy", "export", "alice", "--output", str(output)]) == 0
    printed = capsys.readouterr()
    assert "tickets: " in printed.err and "email: " in printed.err and str(output) in printed.out
    assert markers("alice")["mail-file"] in _text(zipfile.ZipFile(output))
    assert main(["privacy", "export", "nobody", "--output", str(tmp_path / "x.zip")]) == 2
    assert "users list" in capsys.readouterr().err and not (tmp_path / "x.zip").exists()
