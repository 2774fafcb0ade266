"""`deskpilot privacy export PERSON --output FILE`: a person's right of access, from the shell; and
`deskpilot privacy retention [--dry-run]`: remove what is past its retention period (or list it)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TypeAlias

from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.cli.context import database, load_settings
from deskpilot.clock import utcnow
from deskpilot.encryption_keys import add_key
from deskpilot.governance.sealed_settings import reseal
from deskpilot.privacy.export import export_person, find_person
from deskpilot.privacy.retention import apply_retention

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


def cmd_privacy_retention(args: argparse.Namespace) -> int:
    settings = load_settings()
    with database(settings) as session:
        report = apply_retention(session, settings=settings, actor=Principal.system("cli"), now=utcnow(),
                                 dry_run=args.dry_run)
    print(f"{'kind':<20} {'owner':<16} {'kept':>10} {'records':>8} {'files':>6}  older than")
    for line in report.lines:
        kept = f"{line.days} days" if line.before else "for ever"
        cutoff = line.before.isoformat(timespec="minutes") if line.before else "-"
        print(f"{line.kind.value:<20} {line.owner:<16} {kept:>10} {line.records:>8} {line.files:>6}  {cutoff}")
    print(report.summary() + (" (dry run: nothing changed)" if report.dry_run else "; audited"))
    return 0


def cmd_privacy_rotate_key(_args: argparse.Namespace) -> int:
    settings = load_settings()
    key_id = add_key(settings)
    print(f"Added encryption key {key_id} to the key file; it seals from now on, the old keys still open.")
    with database(settings) as session:
        count = reseal(session, settings)
        audit.record(session, actor_id=None, actor_name="cli", action="privacy.key_rotated", subject_type="key",
                     subject_id=key_id, after={"resealed_setting_versions": count})
    print(f"Sealed {count} stored setting versions again with {key_id}; audited as privacy.key_rotated.")
    return 0


def register(sub: Sub) -> None:
    privacy = sub.add_parser("privacy", help="data-protection rights of one person").add_subparsers(
        dest="privacy_cmd", required=True)
    export = privacy.add_parser("export", help="everything the desk holds about a person, as a ZIP archive")
    export.add_argument("person", metavar="PERSON", help="user id, username or e-mail address")
    export.add_argument("--output", required=True, help="the archive to write (a .zip file)")
    export.set_defaults(func=cmd_privacy_export)
    retention = privacy.add_parser("retention", help="remove the content of data past its retention period "
                                   "(DESKPILOT_RETENTION_DAYS)")
    retention.add_argument("--dry-run", action="store_true", help="only list what would be removed")
    retention.set_defaults(func=cmd_privacy_retention)
    rotate = privacy.add_parser("rotate-key", help="add an encryption key to the key file (it seals from now on) "
                                "and seal the stored connection secrets again with it")
    rotate.set_defaults(func=cmd_privacy_rotate_key)
