"""Dumping and loading the database: SQLite through its online backup API, PostgreSQL with pg_dump/pg_restore."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, table, text
from sqlalchemy.engine import make_url

from deskpilot.backup.archive import Progress
from deskpilot.db import make_engine
from deskpilot.errors import InvalidInput, ProviderError
from deskpilot.migrations import alembic_config

SQLITE_FILE = "database.sqlite"
POSTGRES_FILE = "database.pgdump"
_PAGES_PER_STEP = 4096


def kind(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def sqlite_path(url: str) -> Path:
    return Path(url.split("///", 1)[-1])


def code_revision(url: str) -> str:
    """The schema revision this deskpilot migrates to."""
    return str(ScriptDirectory.from_config(alembic_config(url)).get_current_head())


def schema_revision(url: str) -> str | None:
    """The revision the database is at (None: never migrated)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def occupied_tables(url: str) -> list[str]:
    """The tables that hold rows (the migration bookkeeping aside): a database to overwrite only with --force."""
    if kind(url) == "sqlite" and not sqlite_path(url).exists():
        return []
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            names = [n for n in inspect(connection).get_table_names() if n != "alembic_version"]
            return [n for n in names if connection.scalar(select(func.count()).select_from(table(n)))]
    finally:
        engine.dispose()


def dump(url: str, directory: Path, progress: Progress) -> str:
    """Write a consistent copy of the database into `directory`, while the desk keeps running; its file name."""
    if kind(url) == "sqlite":
        _sqlite_copy(sqlite_path(url), directory / SQLITE_FILE, progress)
        return SQLITE_FILE
    _run_pg("pg_dump", url, ["--format=custom", "--no-owner", "--no-privileges", "--verbose",
                             f"--file={directory / POSTGRES_FILE}"], progress)
    return POSTGRES_FILE


def load(url: str, dump_file: Path, progress: Progress) -> None:
    """Replace the database's content with the dump."""
    if kind(url) == "sqlite":
        target = sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(dump_file, target, progress)
        return
    _run_pg("pg_restore", url, ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
                                "--exit-on-error", "--verbose", str(dump_file)], progress)


def _sqlite_copy(source: Path, target: Path, progress: Progress) -> None:
    """Page-by-page copy through SQLite's backup API: consistent even while others write to `source`."""
    if not source.exists():
        raise InvalidInput(f"no SQLite database at {source}")
    shown = -1

    def report(_status: int, remaining: int, total: int) -> None:
        nonlocal shown
        percent = 100 * (total - remaining) // max(total, 1)
        if percent // 10 != shown // 10:
            shown = percent
            progress(f"database: {percent}% of {total} pages copied")

    reader, writer = sqlite3.connect(source), sqlite3.connect(target)
    try:
        reader.backup(writer, pages=_PAGES_PER_STEP, progress=report)
    finally:
        writer.close()
        reader.close()


def _run_pg(tool: str, url: str, options: list[str], progress: Progress) -> None:
    """Run pg_dump or pg_restore against `url`, passing the password in the environment, never in argv."""
    executable = shutil.which(tool)
    if executable is None:
        raise ProviderError(f"{tool} was not found: install the PostgreSQL client tools (the server's major "
                            "version or newer) to back up or restore a PostgreSQL desk")
    parts = make_url(url)
    connection = [f"--dbname={parts.database}", f"--username={parts.username or 'postgres'}",
                  f"--host={parts.host or 'localhost'}", f"--port={parts.port or 5432}", "--no-password"]
    env = {**os.environ, "PGPASSWORD": parts.password or ""}
    process = subprocess.Popen([executable, *connection, *options], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    errors: list[str] = []
    for line in process.stderr:
        if " error: " in line or line.startswith(f"{tool}: error"):
            errors.append(line.strip())
        elif "dumping contents of table" in line or "processing data for table" in line:
            progress(f"database: {line.split(': ', 1)[-1].strip()}")
    if process.wait() != 0:
        raise ProviderError(f"{tool} failed (exit {process.returncode}): {'; '.join(errors[-3:]) or 'see above'}")
