"""`deskpilot privacy export PERSON --output FILE` and `deskpilot privacy erase PERSON [--dry-run]`: a person's
rights of access and erasure, from the shell; `deskpilot privacy retention [--dry-run]` removes what is past its
retention period (or lists it).

The dry run acts as the local administrator (it changes nothing). Requesting and approving an erasure need an
authenticated admin (`--as USER` with their password or an API token, as for runbook approvals), and the two
must be different people; the `privacy.erase` job of `deskpilot worker` then erases the person."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TypeAlias

from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.cli.acting import add_actor_args, authenticated_actor
from deskpilot.cli.context import database, load_settings
from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.encryption_keys import Keyring, add_key
from deskpilot.errors import InvalidInput
from deskpilot.governance.sealed_settings import reseal
from deskpilot.ml.embeddings import load_embedder
from deskpilot.privacy import erasure, resealing
from deskpilot.privacy.export import export_person, find_person
from deskpilot.privacy.resealing import Resealed
from deskpilot.privacy.retention import apply_retention
from deskpilot.privacy.sources import all_sources
from deskpilot.schema import metadata
from deskpilot.sealed_storage import configure_sealing

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


def cmd_privacy_erase(args: argparse.Namespace) -> int:
    settings = load_settings()
    with database(settings) as session:
        person = find_person(session, reference=args.person)
        if args.dry_run:
            context = erasure.ErasureContext(settings=settings, embedder=load_embedder(settings.embedding_model),
                                             sources=all_sources())
            changes = erasure.plan(session, context, actor=Principal.system("cli"), person=person,
                                   identifiers=args.identifier or [])
            print(f"Erasing {person.full_name} (user {person.user_id}) would change (dry run, nothing changed):")
            for change in changes:
                print(f"  {change.source:<14} {change.kind:<32} {change.count:>6}  {change.action}")
            return 0
        if not args.as_user:
            raise InvalidInput("An erasure is requested by an authenticated administrator: add --as USER (or "
                               "--dry-run to see what it would change).")
        request = erasure.request(session, actor=authenticated_actor(session, settings, args), person=person,
                                  identifiers=args.identifier or [])
        print(f"Erasure {request.id} of user {person.user_id} requested. Another administrator approves it with "
              f"`deskpilot privacy approve-erasure {request.id} --as USER` or on the user's admin page; "
              "`deskpilot worker` then erases the person.")
    return 0


def cmd_privacy_approve(args: argparse.Namespace) -> int:
    settings = load_settings()
    with database(settings) as session:
        actor = authenticated_actor(session, settings, args)
        approved = erasure.approve(session, actor=actor, erasure_id=args.erasure_id)
        print(f"Erasure {approved.id} approved; the `privacy.erase` job of `deskpilot worker` runs it.")
    return 0


def cmd_privacy_erasures(args: argparse.Namespace) -> int:
    settings = load_settings()
    total = len(erasure.steps_of(all_sources()))
    with database(settings) as session:
        person = find_person(session, reference=args.person)
        for item in erasure.of_user(session, actor=Principal.system("cli"), user_id=person.user_id):
            print(f"erasure {item.id}: {item.status.value}, requested by {item.requested_by}"
                  + (f", approved by {item.approved_by}" if item.approved_by else "")
                  + f", {len(item.done_steps)} of {total} steps done")
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
    configure_sealing(settings)  # seal with the new key from here on
    print(f"Added encryption key {key_id} to the key file; it seals from now on, the old keys still open.")
    with database(settings) as session:
        count = reseal(session, settings)
        print(f"Sealed {count} stored setting versions again with {key_id}.")
        done = _reseal_stored(session, settings)
        audit.record(session, actor_id=None, actor_name="cli", action="privacy.key_rotated", subject_type="key",
                     subject_id=key_id, after={"resealed_setting_versions": count, "resealed_values": done.values,
                                               "resealed_files": done.files})
    print(f"Audited as privacy.key_rotated. Once every process has read {key_id} (each reloads the key file when "
          "it meets a value sealed with a key it lacks), older keys seal nothing more.")
    return 0


def cmd_privacy_reseal(_args: argparse.Namespace) -> int:
    settings = load_settings()
    with database(settings) as session:
        count = reseal(session, settings)
        done = _reseal_stored(session, settings)
        audit.record(session, actor_id=None, actor_name="cli", action="privacy.resealed", subject_type="key",
                     subject_id=Keyring.from_settings(settings).current,
                     after={"resealed_setting_versions": count, "resealed_values": done.values,
                            "resealed_files": done.files})
    print(f"Sealed {count} stored setting versions again; audited as privacy.resealed.")
    return 0


def _reseal_stored(session: Session, settings: Settings) -> Resealed:
    done = resealing.reseal(session, settings=settings, metadata=metadata,
                            progress=lambda line: print(f"  {line}", file=sys.stderr))
    print(f"Sealed {done.values} stored message bodies and {done.files} files in DATA_DIR with key "
          f"{Keyring.from_settings(settings).current}.")
    return done


def register(sub: Sub) -> None:
    privacy = sub.add_parser("privacy", help="data-protection rights of one person").add_subparsers(
        dest="privacy_cmd", required=True)
    export = privacy.add_parser("export", help="everything the desk holds about a person, as a ZIP archive")
    export.add_argument("person", metavar="PERSON", help="user id, username or e-mail address")
    export.add_argument("--output", required=True, help="the archive to write (a .zip file)")
    export.set_defaults(func=cmd_privacy_export)
    erase = privacy.add_parser("erase", help="erase a person everywhere (needs a second admin's approval)")
    erase.add_argument("person", metavar="PERSON", help="user id, username or e-mail address")
    erase.add_argument("--dry-run", action="store_true", help="list what would change per source; change nothing")
    erase.add_argument("--identifier", action="append", metavar="TEXT",
                       help="another identifier to scrub where others wrote it (phone, employee number); repeatable")
    add_actor_args(erase, who="the administrator requesting the erasure")
    erase.set_defaults(func=cmd_privacy_erase)
    approve = privacy.add_parser("approve-erasure", help="approve another administrator's erasure request")
    approve.add_argument("erasure_id", metavar="ID", type=int, help="the erasure request's id")
    add_actor_args(approve, required=True, who="the approving administrator (not the requester)")
    approve.set_defaults(func=cmd_privacy_approve)
    erasures = privacy.add_parser("erasures", help="a person's erasure requests and how far each got")
    erasures.add_argument("person", metavar="PERSON", help="user id, username or e-mail address")
    erasures.set_defaults(func=cmd_privacy_erasures)
    retention = privacy.add_parser("retention", help="remove the content of data past its retention period "
                                   "(DESKPILOT_RETENTION_DAYS)")
    retention.add_argument("--dry-run", action="store_true", help="only list what would be removed")
    retention.set_defaults(func=cmd_privacy_retention)
    rotate = privacy.add_parser("rotate-key", help="add an encryption key to the key file (it seals from now on) "
                                "and seal the stored connection secrets, message bodies and files again with it")
    rotate.set_defaults(func=cmd_privacy_rotate_key)
    again = privacy.add_parser("reseal", help="seal every message body, AI decision input and kept file (raw mail, "
                               "attachments) with the current key: after upgrading, or after adding a key to "
                               "DESKPILOT_ENCRYPTION_KEYS")
    again.set_defaults(func=cmd_privacy_reseal)
