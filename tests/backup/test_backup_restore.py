"""`deskpilot backup` and `deskpilot restore` carry a whole desk (database and DATA_DIR) to a new place, and
refuse an archive that is corrupt or does not fit, or a target that already holds a desk."""

from __future__ import annotations

import io
import json
import os
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from deskpilot.accounts.models import User
from deskpilot.accounts.principal import Principal
from deskpilot.assist.index_store import KbIndex
from deskpilot.backup.archive import MANIFEST
from deskpilot.backup.service import create_backup, restore_backup
from deskpilot.config import Environment, Settings
from deskpilot.db import make_engine
from deskpilot.errors import Conflict, InvalidInput
from deskpilot.kb import indexing
from deskpilot.kb.answering import answer_question
from deskpilot.ml.embeddings import Embedder
from tests.audit.test_audit_chain import cli
from tests.conftest import TEST_AUDIT_KEY, migrated_database
from tests.factories import make_desk, open_ticket
from tests.kb.conftest import demo_holder

RAW_MAIL = b"From: alice@example.org\r\nSubject: printer\r\n\r\nThe printer is jammed.\r\n"


def _settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(environment=Environment.TEST, database_url=database_url, data_dir=data_dir)


@pytest.fixture
def source(session: Session, embedder: Embedder, demo_index: Path, tmp_path: Path) -> Settings:
    """A desk with tickets, approved demo articles, their index, raw mail, a runbook journal and its audit key."""
    settings = _settings(str(session.get_bind().url.render_as_string(hide_password=False)), tmp_path / "source")
    desk = make_desk(session)
    for i in range(3):
        open_ticket(session, desk, desk.alice, subject=f"Ticket {i}")
    demo_holder(session, desk, embedder, demo_index, settings.index_dir)
    session.commit()
    settings.mail_dir.mkdir(parents=True)
    (settings.mail_dir / "0001.eml").write_bytes(RAW_MAIL)
    settings.runbook_journal_path.parent.mkdir(parents=True)
    settings.runbook_journal_path.write_text('{"run": 1, "step": "unlock"}\n')
    key_file = settings.data_dir / "audit" / "key"
    key_file.parent.mkdir(parents=True)
    key_file.write_text(TEST_AUDIT_KEY + "\n")
    key_file.chmod(0o600)
    return settings


@pytest.fixture
def target(engine: Engine, tmp_path: Path) -> Iterator[Settings]:
    """A new, migrated, empty database of the same kind, and an empty DATA_DIR."""
    for url in migrated_database(engine.dialect.name, tmp_path / "target-db"):
        yield _settings(url, tmp_path / "target")


def _env(settings: Settings) -> tuple[str, Path]:
    return settings.resolved_database_url, settings.data_dir


def test_a_restored_desk_verifies_its_audit_chain_and_answers_from_the_kb(
        source: Settings, target: Settings, embedder: Embedder, tmp_path: Path) -> None:
    archive = tmp_path / "desk.tar.gz"
    made = cli(*_env(source), "backup", str(archive), key_in_env=False)
    assert made.returncode == 0, made.stderr
    assert "database:" in made.stderr and "archive:" in made.stderr  # progress of the long steps

    restored = cli(*_env(target), "restore", str(archive), key_in_env=False)
    assert restored.returncode == 0, restored.stderr
    verified = cli(*_env(target), "audit", "verify", key_in_env=False)
    assert verified.returncode == 0, verified.stderr
    assert "audit chain intact" in verified.stdout

    assert (target.mail_dir / "0001.eml").read_bytes() == RAW_MAIL
    assert target.runbook_journal_path.read_text() == source.runbook_journal_path.read_text()
    assert (target.data_dir / "audit" / "checkpoints.jsonl").exists()
    index = KbIndex.load(indexing.index_path(target.index_dir), embedder)
    engine = make_engine(target.resolved_database_url)
    try:
        with Session(engine) as db:
            alice = db.scalars(select(User).where(User.username == "alice")).one()
            outcome = answer_question(db, actor=Principal.of(alice), index=index, question="My mailbox is full",
                                      abstain_below=0.5)
            assert not outcome.answer.abstained
            assert [s.slug for s in outcome.sources] == ["mailbox-full"]
    finally:
        engine.dispose()


def _quiet(_: str) -> None:
    """Progress lines are for people; these tests look at outcomes."""


def _rewrite(archive: Path, change: Callable[[dict[str, bytes]], None]) -> None:
    """Rewrite the archive's members through `change`, as damage or a hand edit would."""
    with tarfile.open(archive) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]
    change(members)
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _backup(source: Settings, tmp_path: Path) -> Path:
    archive = tmp_path / "desk.tar.gz"
    create_backup(source, output=archive, progress=_quiet)
    return archive


@pytest.mark.parametrize("damage", ["bytes overwritten", "cut short"])
def test_a_corrupt_archive_is_refused_and_nothing_is_restored(source: Settings, target: Settings, tmp_path: Path,
                                                              damage: str) -> None:
    archive = _backup(source, tmp_path)
    data = bytearray(archive.read_bytes())
    middle = len(data) // 2
    if damage == "cut short":
        del data[middle:]
    else:
        data[middle: middle + 64] = os.urandom(64)
    archive.write_bytes(bytes(data))
    with pytest.raises(InvalidInput, match="corrupt"):
        restore_backup(target, source=archive, force=False, progress=_quiet)
    assert not target.mail_dir.exists()


def test_an_archive_whose_file_changed_is_refused_by_its_checksum(source: Settings, target: Settings,
                                                                  tmp_path: Path) -> None:
    archive = _backup(source, tmp_path)
    _rewrite(archive, lambda members: members.update({"data/mail/0001.eml": b"From: mallory\r\n\r\nchanged"}))
    with pytest.raises(InvalidInput, match=r"data/mail/0001.eml is changed \(checksum mismatch\)"):
        restore_backup(target, source=archive, force=False, progress=_quiet)


def test_an_archive_of_another_schema_revision_is_refused(source: Settings, target: Settings,
                                                          tmp_path: Path) -> None:
    archive = _backup(source, tmp_path)

    def older(members: dict[str, bytes]) -> None:
        manifest = json.loads(members[MANIFEST])
        members[MANIFEST] = json.dumps({**manifest, "schema_revision": "0003"}).encode()

    _rewrite(archive, older)
    with pytest.raises(InvalidInput, match="schema is at revision 0003"):
        restore_backup(target, source=archive, force=False, progress=_quiet)


def test_a_non_empty_target_is_replaced_only_with_force(source: Settings, target: Settings,
                                                        tmp_path: Path) -> None:
    archive = _backup(source, tmp_path)
    restore_backup(target, source=archive, force=False, progress=_quiet)
    (target.data_dir / "stray.txt").write_text("from the desk that was here")
    with pytest.raises(Conflict, match="the target is not empty: .* pass --force"):
        restore_backup(target, source=archive, force=False, progress=_quiet)
    assert (target.data_dir / "stray.txt").exists()
    restore_backup(target, source=archive, force=True, progress=_quiet)
    assert not (target.data_dir / "stray.txt").exists()
    assert (target.mail_dir / "0001.eml").read_bytes() == RAW_MAIL
