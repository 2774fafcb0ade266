"""`deskpilot directory sync [--dry-run]`: accounts in line with the LDAP/AD directory, from the shell."""

from __future__ import annotations

import argparse
from typing import TypeAlias

from deskpilot.accounts.directory_sync import SyncReport, sync
from deskpilot.cli.context import database, load_settings
from deskpilot.runbooks.directory_people import directory_people
from deskpilot.runbooks.identity import LdapDirectory

Sub: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class _DryRun(Exception):
    """Raised inside the unit of work to roll a dry run back."""


def _print(report: SyncReport, *, dry_run: bool) -> None:
    verb = "would be" if dry_run else "were"
    for label, names in (("created", report.created), ("updated", report.updated),
                         ("deactivated", report.deactivated), ("skipped", report.skipped)):
        if names:
            print(f"{label} ({len(names)}): {', '.join(names)}")
    print(f"{report.summary()} — these {verb} applied" + ("; nothing was changed (dry run)." if dry_run else "."))


def cmd_directory_sync(args: argparse.Namespace) -> int:
    settings = load_settings()
    directory = LdapDirectory(settings)
    try:
        people = directory_people(directory)
    finally:
        directory.close()
    print(f"{len(people)} people in the directory")
    try:
        with database(settings) as session:
            report = sync(session, people=people, role_groups=settings.ldap_sync_role_groups,
                          team_groups=settings.ldap_sync_team_groups)
            if args.dry_run:
                raise _DryRun
    except _DryRun:
        pass
    _print(report, dry_run=args.dry_run)
    return 0


def register(sub: Sub) -> None:
    directory = sub.add_parser("directory", help="keep accounts in line with the LDAP/AD directory").add_subparsers(
        dest="directory_cmd", required=True)
    run = directory.add_parser("sync", help="create, update and deactivate accounts from the directory's people")
    run.add_argument("--dry-run", action="store_true", help="show what would change and change nothing")
    run.set_defaults(func=cmd_directory_sync)
