"""`create_backup` and `restore_backup`: the database and DATA_DIR (models, indexes, raw mail, runbook journal,
audit key and checkpoints) in one archive whose manifest is checked in full before anything is replaced.

A restore keeps the desk's erasure ledger: a person erased after the backup was made is erased again
(`privacy.ledger`; `deskpilot restore` runs it at once), so no restore brings an erased person back."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from deskpilot import __version__
from deskpilot.audit.chain import key_id
from deskpilot.audit.keyring import KEY_FILE, audit_dir, load_keyring
from deskpilot.backup import archive, databases
from deskpilot.backup.archive import DATA, FORMAT, Manifest, Progress
from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.errors import Conflict, InvalidInput

_SQLITE_SIDE_FILES = ("", "-wal", "-shm", "-journal")


def _database_files(settings: Settings) -> set[Path]:
    """The SQLite database and its side files, when they live in DATA_DIR: the dump carries them instead."""
    url = settings.resolved_database_url
    if databases.kind(url) != "sqlite":
        return set()
    path = databases.sqlite_path(url).resolve()
    return {path.with_name(path.name + suffix) for suffix in _SQLITE_SIDE_FILES}


def _data_files(settings: Settings) -> list[Path]:
    skip = _database_files(settings)
    root = settings.data_dir
    return [p for p in sorted(root.rglob("*")) if p.is_file() and p.resolve() not in skip] if root.exists() else []


def create_backup(settings: Settings, *, output: Path, progress: Progress) -> Manifest:
    """Write an archive of the database and DATA_DIR to `output`; the desk may keep running meanwhile."""
    if output.exists():
        raise Conflict(f"{output} already exists; choose a new file name")
    if output.resolve().is_relative_to(settings.data_dir.resolve()):
        raise InvalidInput("write the backup outside DATA_DIR, or it would contain itself the next time")
    url = settings.resolved_database_url
    revision = databases.schema_revision(url)
    if revision is None:
        raise InvalidInput("the database was never migrated: there is nothing to back up")
    keyring = load_keyring(settings)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".deskpilot-backup-") as temp:
        staging = Path(temp)
        progress(f"database: dumping the {databases.kind(url)} database")
        database_file = databases.dump(url, staging, progress)
        files = _data_files(settings)
        for number, path in enumerate(files, start=1):
            copy = staging / DATA / path.relative_to(settings.data_dir)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copy)
            if number % 200 == 0 or number == len(files):
                progress(f"data: {number} of {len(files)} files copied from {settings.data_dir}")
        manifest = Manifest(format=FORMAT, deskpilot_version=__version__, schema_revision=revision,
                            database=databases.kind(url), database_file=database_file,
                            audit_key_id=keyring.key_id, created_at=utcnow().isoformat(),
                            files=archive.staged_files(staging))
        archive.write(output, staging, manifest, progress)
    return manifest


def restore_backup(settings: Settings, *, source: Path, force: bool, progress: Progress) -> Manifest:
    """Replace the database and DATA_DIR with the archive's, after checking the archive whole and that it fits
    this desk; a target that holds anything is replaced only with `force`."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.data_dir.resolve().parent, prefix=".deskpilot-restore-") as temp:
        staging = Path(temp)
        manifest = archive.unpack(source, staging, progress)
        _check_fits(settings, manifest, staging)
        _check_empty(settings, force=force)
        progress(f"database: loading {manifest.database_file}")
        databases.load(settings.resolved_database_url, staging / manifest.database_file, progress)
        _replace_data(settings, staging / DATA, progress)
    return manifest


def _check_fits(settings: Settings, manifest: Manifest, staging: Path) -> None:
    url = settings.resolved_database_url
    if manifest.database != databases.kind(url):
        raise InvalidInput(f"the archive holds a {manifest.database} database; this desk is configured for "
                           f"{databases.kind(url)} (DESKPILOT_DATABASE_URL)")
    expected = databases.code_revision(url)
    if manifest.schema_revision != expected:
        raise InvalidInput(f"the archive's schema is at revision {manifest.schema_revision}, this deskpilot "
                           f"{__version__} expects {expected}: restore with the deskpilot version that made it "
                           f"({manifest.deskpilot_version}), then upgrade")
    key_file = staging / DATA / audit_dir(settings).relative_to(settings.data_dir) / KEY_FILE
    if settings.audit_key:
        restored_key = key_id(settings.audit_key.encode("utf-8"))
    elif key_file.exists():
        restored_key = key_id(key_file.read_text(encoding="utf-8").strip().encode("utf-8"))
    else:
        restored_key = ""
    if restored_key != manifest.audit_key_id:
        raise InvalidInput(f"the archive's audit log is keyed with key id {manifest.audit_key_id} but the key in "
                           f"effect {'is ' + restored_key if restored_key else 'is missing'}: set "
                           "DESKPILOT_AUDIT_KEY to the key the backup was made with")


def _check_empty(settings: Settings, *, force: bool) -> None:
    tables = databases.occupied_tables(settings.resolved_database_url)
    files = _data_files(settings)
    if (tables or files) and not force:
        held = [f"{len(tables)} table(s) with rows ({', '.join(tables[:3])}…)" if tables else "",
                f"{len(files)} file(s) in {settings.data_dir}" if files else ""]
        raise Conflict(f"the target is not empty: {' and '.join(h for h in held if h)}; pass --force to replace it")


def _replace_data(settings: Settings, restored: Path, progress: Progress) -> None:
    """DATA_DIR becomes the archive's, but for the erasure ledger: the desk's entries are kept (with the
    archive's), so the erasures made since the backup are applied again (`privacy.ledger`)."""
    ledger = settings.erasure_ledger_path
    erased = ledger.read_bytes().splitlines() if ledger.exists() else []
    keep = _database_files(settings)
    for path in settings.data_dir.iterdir():
        if path.resolve() in keep:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    entries = sorted(restored.iterdir()) if restored.exists() else []
    count = sum(1 for p in restored.rglob("*") if p.is_file()) if entries else 0
    for entry in entries:
        shutil.move(str(entry), settings.data_dir / entry.name)
    progress(f"data: {count} files restored into {settings.data_dir}")
    if erased:
        archived = ledger.read_bytes().splitlines() if ledger.exists() else []
        ledger.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        ledger.write_bytes(b"".join(line + b"\n" for line in dict.fromkeys([*archived, *erased]) if line.strip()))
        ledger.chmod(0o600)
        progress(f"privacy: the erasure ledger's {len(erased)} entries kept; erasures since the backup run again")
