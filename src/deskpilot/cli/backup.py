"""`deskpilot backup OUTPUT` and `deskpilot restore ARCHIVE [--force]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TypeAlias

from deskpilot.backup.service import create_backup, restore_backup
from deskpilot.cli.audit import report_checkpoint
from deskpilot.cli.context import load_settings
from deskpilot.db import make_engine, session_factory
from deskpilot.ml.embeddings import load_embedder
from deskpilot.privacy import erasure
from deskpilot.privacy.sources import all_sources

Sub: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def cmd_backup(args: argparse.Namespace) -> int:
    settings = load_settings()
    report_checkpoint(settings)
    manifest = create_backup(settings, output=Path(args.output), progress=_progress)
    print(f"backup written to {args.output}: {manifest.database} database at schema {manifest.schema_revision}, "
          f"{len(manifest.files)} files (it holds the audit key: keep it as safe as the database)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    settings = load_settings()
    manifest = restore_backup(settings, source=Path(args.archive), force=args.force, progress=_progress)
    context = erasure.ErasureContext(settings=settings, embedder=load_embedder(settings.embedding_model),
                                     sources=all_sources())
    engine = make_engine(settings.resolved_database_url)
    try:
        erasure.erase_again(session_factory(engine), context, progress=_progress)
    finally:
        engine.dispose()
    print(f"restored {args.archive} (made {manifest.created_at} by deskpilot {manifest.deskpilot_version}); "
          "check it with `deskpilot audit verify`")
    return 0


def register(sub: Sub) -> None:
    backup = sub.add_parser("backup", help="archive the database and DATA_DIR into one file")
    backup.add_argument("output", help="the archive to write (a new file outside DATA_DIR), e.g. desk.tar.gz")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="replace the database and DATA_DIR with a backup archive")
    restore.add_argument("archive")
    restore.add_argument("--force", action="store_true", help="replace a database or DATA_DIR that is not empty")
    restore.set_defaults(func=cmd_restore)
