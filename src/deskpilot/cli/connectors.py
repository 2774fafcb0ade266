"""`deskpilot connectors list | import NAME | overlay NAME | sync NAME`: bring an ITSM's history and knowledge base
into the desk, put deskpilot's triage on top of the ITSM the desk keeps, or keep the two in step while the desk
moves."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.principal import Principal
from deskpilot.cli.admin import Sub
from deskpilot.cli.context import database, load_settings
from deskpilot.connectors import exports, importing, registry
from deskpilot.connectors.base import Connector
from deskpilot.connectors.overlay_runner import overlay_once
from deskpilot.connectors.storing import Target
from deskpilot.connectors.sync_job import sync_once
from deskpilot.db import make_engine, session_factory, unit_of_work
from deskpilot.errors import InvalidInput
from deskpilot.runtime import build_runtime

CLI = Principal.system("connectors")


def _progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def cmd_list(_: argparse.Namespace) -> int:
    settings = load_settings()
    with database(settings) as session:
        for name in registry.installed():
            state = "configured" if name in settings.connectors else "not configured (DESKPILOT_CONNECTORS)"
            cursors = ", ".join(f"{stream} at page {pages}" for stream, pages in importing.progress_of(session, name))
            print(f"{name}: {state}" + (f"; imported {cursors}" if cursors else ""))
    return 0


def _connector(name: str, path: str | None, connections: dict[str, dict[str, str]]) -> tuple[Connector, str]:
    """The connector to read, and the key its cursors are kept under."""
    if path:
        export = exports.open_export(name, Path(path))
        return export, f"{name}-export:{export.digest[:16]}"
    if name not in connections:
        raise InvalidInput(f"No connection for {name!r}: set DESKPILOT_CONNECTORS='{{\"{name}\": {{...}}}}' "
                           "(see the README), or import an export file with --file.")
    return registry.open_connector(name, connections[name]), name


def _report(report: importing.ImportReport, path: str | None) -> None:
    for stream, totals in report.streams.items():
        extra = f", {totals.comments} comments, {totals.attachments} files" if stream == "tickets" else ""
        updated = f", {totals.updated} new versions" if stream == "articles" else ""
        print(f"{stream}: {totals.read} read in {totals.pages} pages; {totals.added} added{updated}{extra}; "
              f"{totals.unchanged} already imported")
    for reason, items in sorted(report.skipped_by_reason().items()):
        sample = ", ".join(item.external_id for item in items[:5]) + (", ..." if len(items) > 5 else "")
        print(f"skipped {len(items)} × {reason} ({sample})")
    if path:
        Path(path).write_text(json.dumps([{"kind": s.kind, "id": s.external_id, "reason": s.reason}
                                          for s in report.skipped], indent=1), encoding="utf-8")
        print(f"the skipped records are listed in {path}")
    if report.stopped:
        print(f"stopped: {report.stopped}", file=sys.stderr)


@contextmanager
def _units(url: str) -> Iterator[importing.UnitOfWork]:
    engine = make_engine(url)
    factory = session_factory(engine, writes=True)
    try:
        yield lambda: unit_of_work(factory)
    finally:
        engine.dispose()


def _user_id(session: Session, username: str) -> int:
    user = accounts.get_by_username(session, username=username)
    if user is None:
        raise InvalidInput(f"--fallback-requester: there is no user {username!r}.")
    return user.id


def cmd_import(args: argparse.Namespace) -> int:
    streams = tuple(s.strip() for s in args.only.split(",")) if args.only else importing.STREAMS
    unknown = sorted(set(streams) - set(importing.STREAMS))
    if unknown:
        raise InvalidInput(f"--only: unknown {', '.join(unknown)}; choose from {', '.join(importing.STREAMS)}.")
    if args.page_size < 1 or args.page_size > 1000:
        raise InvalidInput("--page-size must be between 1 and 1000.")
    settings = load_settings()
    connector, key = _connector(args.name, args.file, settings.connectors)
    with _units(settings.resolved_database_url) as units:
        with units() as session:
            fallback = _user_id(session, args.fallback_requester) if args.fallback_requester else None
        target = Target(vendor=args.name, actor=CLI, data_dir=settings.data_dir,
                        max_attachment_bytes=settings.attachment_max_bytes, fallback_requester_id=fallback)
        print(f"importing {', '.join(streams)} from {args.file or args.name}", file=sys.stderr)
        report = importing.run_import(units=units, connector=connector, target=target, key=key,
                                      page_size=args.page_size, streams=streams, progress=_progress,
                                      from_start=args.from_start)
    _report(report, args.report)
    return 1 if report.stopped else 0


def cmd_overlay(args: argparse.Namespace) -> int:
    if args.interval < 5:
        raise InvalidInput("--interval must be at least 5 seconds.")
    settings = load_settings()
    runtime = build_runtime(settings)
    with _units(settings.resolved_database_url) as units:
        while True:
            report = overlay_once(settings=settings, runtime=runtime, units=units, name=args.name,
                                  progress=_progress)
            print(f"{args.name}: {report.summary()}", flush=True)
            if args.once:
                return 1 if report.stopped else 0
            time.sleep(args.interval)


def cmd_sync(args: argparse.Namespace) -> int:
    if args.interval < 5:
        raise InvalidInput("--interval must be at least 5 seconds.")
    settings = load_settings()
    with _units(settings.resolved_database_url) as units:
        while True:
            report = sync_once(settings=settings, units=units, name=args.name, progress=_progress)
            print(f"{args.name}: {report.summary()}", flush=True)
            for item in report.skipped[:20]:
                print(f"skipped {item.kind} {item.external_id}: {item.reason}")
            if args.once:
                return 1 if report.stopped else 0
            time.sleep(args.interval)


def register(sub: Sub) -> None:
    group = sub.add_parser("connectors", help="ITSM connectors: import history and articles").add_subparsers(
        dest="connectors_cmd", required=True)
    group.add_parser("list", help="installed connectors, whether configured, how far each import got").set_defaults(
        func=cmd_list)
    imp = group.add_parser("import", help="import closed tickets (with comments and files) and published "
                                          "articles; resumable and idempotent")
    imp.add_argument("name", help="the connector: zendesk, servicenow, jsm, freshservice")
    imp.add_argument("--file", help="an export of the product instead of its API (Zendesk JSON; ServiceNow CSV "
                                    "or XML; Jira Service Management and Freshservice CSV)")
    imp.add_argument("--only", help="comma-separated streams to import: users, tickets, articles")
    imp.add_argument("--page-size", type=int, default=100, help="records per page and transaction (default 100)")
    imp.add_argument("--fallback-requester", help="a desk username to file tickets under whose requester has no "
                                                  "account (exports often carry names only)")
    imp.add_argument("--from-start", action="store_true", help="read everything again instead of resuming, to "
                     "pick up records skipped before (what was imported stays as it is)")
    imp.add_argument("--report", help="write every skipped record with its reason to this JSON file")
    imp.set_defaults(func=cmd_import)
    over = group.add_parser("overlay", help="triage the ITSM's new tickets and write back per the governance mode "
                                            "of itsm_write_back (a note, or the ITSM's fields)")
    over.add_argument("name", help="the connection: zendesk, servicenow, jsm, freshservice")
    over.add_argument("--once", action="store_true", help="one pass, then exit (default: poll until stopped)")
    over.add_argument("--interval", type=float, default=60.0, help="seconds between passes (default 60)")
    over.set_defaults(func=cmd_overlay)
    sync = group.add_parser("sync", help="keep the ITSM's open tickets and deskpilot's in step both ways (fields and "
                                         "comments; conflict rules in docs/connectors.md)")
    sync.add_argument("name", help="the connection: zendesk, servicenow, jsm, freshservice")
    sync.add_argument("--once", action="store_true", help="one pass, then exit (default: repeat until stopped)")
    sync.add_argument("--interval", type=float, default=60.0, help="seconds between passes (default 60)")
    sync.set_defaults(func=cmd_sync)
