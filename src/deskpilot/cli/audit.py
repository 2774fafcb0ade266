"""`deskpilot audit verify | checkpoint | export`."""

from __future__ import annotations

import argparse
import sys
from typing import TypeAlias

from deskpilot.audit import checkpoints
from deskpilot.audit import service as audit
from deskpilot.audit.keyring import current_keyring
from deskpilot.cli.context import database, load_settings
from deskpilot.config import Settings
from deskpilot.errors import Conflict

Sub: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def cmd_audit_verify(_: argparse.Namespace) -> int:
    with database(load_settings()) as session:
        result = audit.verify(session)
    if result.ok:
        print(f"audit chain intact: {result.checked} events verified")
        return 0
    for problem in result.problems:
        place = f"chain {problem.chain}, seq {problem.seq}" if problem.chain else f"seq {problem.seq}"
        where = f"row id {problem.row_id} ({place})" if problem.row_id else place
        print(f"{where}: {problem.problem}", file=sys.stderr)
    print(f"audit chain BROKEN: {len(result.problems)} problem(s) in {result.checked} events", file=sys.stderr)
    return 1


def anchor_head(settings: Settings) -> str:
    """Key any rows sealed before the chain was keyed, then sign a checkpoint of every chain's head; its JSON
    line."""
    with database(settings) as session:
        audit.key_legacy_chain(session)
    with database(settings) as session:
        return checkpoints.take(session, keyring=current_keyring()).to_json()


def report_checkpoint(settings: Settings) -> None:
    """A checkpoint at start-up or after a sweep: print it, or warn (without stopping the job) when the head
    does not verify."""
    try:
        print(f"audit checkpoint {anchor_head(settings)}")
    except Conflict as exc:
        print(f"warning: {exc.message}", file=sys.stderr)


def cmd_audit_checkpoint(_: argparse.Namespace) -> int:
    settings = load_settings()
    print(f"audit checkpoint {anchor_head(settings)} -> {current_keyring().checkpoint_path}")
    return 0


def cmd_audit_export(args: argparse.Namespace) -> int:
    with database(load_settings()) as session, open(args.output, "w", newline="", encoding="utf-8") as out:
        for chunk in audit.export_csv(session):
            out.write(chunk)
    print(f"audit log written to {args.output}")
    return 0


def register(sub: Sub) -> None:
    audit_p = sub.add_parser("audit", help="verify, anchor or export the audit log").add_subparsers(
        dest="audit_cmd", required=True)
    audit_p.add_parser("verify", help="detect edited, removed, reordered or truncated rows").set_defaults(
        func=cmd_audit_verify)
    audit_p.add_parser("checkpoint", help="sign the chains' heads into DATA_DIR/audit/checkpoints.jsonl").set_defaults(
        func=cmd_audit_checkpoint)
    export = audit_p.add_parser("export", help="write the log as CSV")
    export.add_argument("--output", default="audit.csv")
    export.set_defaults(func=cmd_audit_export)
