"""`deskpilot privacy export PERSON --output FILE`: a person's right of access, from the shell."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TypeAlias

from deskpilot.accounts.principal import Principal
from deskpilot.cli.context import database, load_settings
from deskpilot.privacy.export import export_person, find_person

Sub: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def cmd_privacy_export(args: argparse.Namespace) -> int:
    settings = load_settings()
    with database(settings) as session:
        person = find_person(session, reference=args.person)
        print(f"Collecting what the desk holds about {person.full_name} ({person.email}) ...", file=sys.stderr)
        summary = export_person(
            session, settings=settings, actor=Principal.system("cli"), person=person, output=Path(args.output),
            progress=lambda name, count: print(f"  {name}: {count} records", file=sys.stderr))
    print(f"Written {summary.path} ({sum(summary.records.values())} records, {summary.files} files, "
          f"sha256 {summary.sha256}); the export is in the audit log.")
    for name in summary.missing_files:
        print(f"warning: {name} was no longer on disk; the archive's README lists it", file=sys.stderr)
    return 0


def register(sub: Sub) -> None:
    privacy = sub.add_parser("privacy", help="data-protection rights of one person").add_subparsers(
        dest="privacy_cmd", required=True)
    export = privacy.add_parser("export", help="everything the desk holds about a person, as a ZIP archive")
    export.add_argument("person", metavar="PERSON", help="user id, username or e-mail address")
    export.add_argument("--output", required=True, help="the archive to write (a .zip file)")
    export.set_defaults(func=cmd_privacy_export)
