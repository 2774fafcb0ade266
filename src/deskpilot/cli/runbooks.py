"""`deskpilot runbooks ...`: install, list, show, create, edit, approve, dry-run, run, runs, rollback."""

from __future__ import annotations

import argparse
import getpass
import json
from pathlib import Path

from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.principal import Principal
from deskpilot.cli.admin import Sub
from deskpilot.cli.context import database, load_settings
from deskpilot.errors import InvalidInput, NotFound
from deskpilot.runbooks import builtin, executor
from deskpilot.runbooks import service as definitions
from deskpilot.runbooks.models import RunbookRun, RunbookRunStep

CLI = Principal.system("cli")


def _as(session: Session, username: str | None) -> Principal:
    """The named user as the actor (so approvals and runs are recorded by person), else the CLI itself."""
    if not username:
        return CLI
    user = accounts.get_by_username(session, username=username)
    if user is None:
        raise NotFound(f"No user named {username!r}.")
    return Principal.of(user)


def _parameters(args: argparse.Namespace) -> dict[str, str]:
    values = {}
    for item in args.param or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidInput(f"--param takes NAME=VALUE (got {item!r}).")
        values[key] = value
    for name in args.secret or []:
        values[name] = getpass.getpass(f"{name}: ")
    return values


def _show_run(run: RunbookRun, steps: list[RunbookRunStep] | None = None) -> None:
    print(f"run #{run.id}: {run.mode} {run.status} target={run.target}" + (f" error={run.error}" if run.error else ""))
    for entry in run.plan:
        print(f"  [{entry['step']}] {entry['description']}")
    for step in steps or []:
        print(f"  {step.step_id} ({step.action}): {step.status} in {step.duration_ms} ms"
              + (f": {step.error}" if step.error else ""))


def cmd_install(_: argparse.Namespace) -> int:
    with database(load_settings()) as session:
        added = builtin.install(session, actor=CLI)
    print(f"{len(added)} built-in runbook versions added as drafts; a lead must approve them before they run")
    return 0


def cmd_list(_: argparse.Namespace) -> int:
    with database(load_settings()) as session:
        for runbook in definitions.get_all(session):
            rows = definitions.versions(session, name=runbook.name)
            print(f"{runbook.name}: " + ", ".join(f"v{v.version} {v.status}" for v in rows))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with database(load_settings()) as session:
        version = definitions.versions(session, name=args.name)[-1] if args.version is None else \
            definitions.get_version(session, name=args.name, version=args.version)
        print(f"# {args.name} v{version.version} ({version.status}) sha256={version.content_hash}")
        print(version.source)
    return 0


def cmd_save(args: argparse.Namespace) -> int:
    source = Path(args.file).read_text(encoding="utf-8")
    with database(load_settings()) as session:
        actor = _as(session, args.as_user)
        version = definitions.edit(session, actor=actor, name=args.name, source=source) if args.name else \
            definitions.create(session, actor=actor, source=source)
        print(f"draft v{version.version} saved, sha256={version.content_hash}")
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    with database(load_settings()) as session:
        version = definitions.approve(session, actor=_as(session, args.as_user), name=args.name, version=args.version,
                                      reviewed_hash=args.hash)
        print(f"{args.name} v{version.version}: {version.status}")
    return 0


def _request(args: argparse.Namespace) -> executor.RunRequest:
    return executor.RunRequest(runbook=args.name, parameters=_parameters(args), version=args.version,
                               ticket_id=args.ticket, client_data=json.loads(args.client_data or "{}"),
                               dry_run_id=getattr(args, "dry_run_id", None),
                               idempotency_key=getattr(args, "idempotency_key", None))


def cmd_dry_run(args: argparse.Namespace) -> int:
    settings = load_settings()
    with database(settings) as session:
        run = executor.dry_run(session, settings=settings, actor=_as(session, args.as_user), request=_request(args))
        _show_run(run)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    settings = load_settings()
    with database(settings) as session:
        run = executor.run(session, settings=settings, actor=_as(session, args.as_user), request=_request(args))
        _show_run(run, executor.run_steps(session, run_id=run.id))
    return 0 if run.status == "succeeded" else 1


def cmd_runs(args: argparse.Namespace) -> int:
    with database(load_settings()) as session:
        for run in executor.get_runs(session, actor=CLI, runbook=args.name, limit=args.limit):
            print(f"#{run.id} {run.created_at:%Y-%m-%d %H:%M} {run.mode} {run.status} {run.target} by {run.actor_name}")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    settings = load_settings()
    with database(settings) as session:
        run = executor.rollback(session, settings=settings, actor=_as(session, args.as_user), run_id=args.run_id)
        _show_run(run, executor.run_steps(session, run_id=run.id))
    return 0 if run.status == "rolled_back" else 1


def _run_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name")
    parser.add_argument("-p", "--param", action="append", help="NAME=VALUE (repeatable)")
    parser.add_argument("--secret", action="append", help="a parameter to prompt for without echo (repeatable)")
    parser.add_argument("--version", type=int)
    parser.add_argument("--ticket", type=int)
    parser.add_argument("--client-data", help="JSON object of answers and client data (diagnostics)")
    parser.add_argument("--as", dest="as_user", help="act as this user (recorded in the audit log)")


def register(sub: Sub) -> None:
    rb = sub.add_parser("runbooks", help="runbook definitions, approvals, runs").add_subparsers(dest="rb_cmd",
                                                                                             required=True)
    rb.add_parser("install-builtins", help="add the shipped runbooks as drafts").set_defaults(func=cmd_install)
    rb.add_parser("list", help="runbooks and their versions").set_defaults(func=cmd_list)
    show = rb.add_parser("show", help="print a version's YAML and hash")
    show.add_argument("name")
    show.add_argument("--version", type=int)
    show.set_defaults(func=cmd_show)
    create = rb.add_parser("create", help="add a runbook from a YAML file (draft v1)")
    create.set_defaults(func=cmd_save, name=None)
    edit = rb.add_parser("edit", help="save a YAML file as a new draft version")
    edit.add_argument("name")
    edit.set_defaults(func=cmd_save)
    for save in (create, edit):
        save.add_argument("file")
        save.add_argument("--as", dest="as_user", help="the author (default: cli)")
    approve = rb.add_parser("approve", help="approve a draft as a lead (give the hash you reviewed)")
    approve.add_argument("name")
    approve.add_argument("version", type=int)
    approve.add_argument("--hash", required=True)
    approve.add_argument("--as", dest="as_user", required=True, help="the approving lead's user name")
    approve.set_defaults(func=cmd_approve)
    dry = rb.add_parser("dry-run", help="show what a run would change")
    _run_args(dry)
    dry.set_defaults(func=cmd_dry_run)
    run = rb.add_parser("run", help="execute after a dry-run")
    _run_args(run)
    run.add_argument("--dry-run-id", type=int, required=True)
    run.add_argument("--idempotency-key")
    run.set_defaults(func=cmd_run)
    runs = rb.add_parser("runs", help="recent runs")
    runs.add_argument("--name")
    runs.add_argument("--limit", type=int, default=20)
    runs.set_defaults(func=cmd_runs)
    back = rb.add_parser("rollback", help="undo a succeeded run")
    back.add_argument("run_id", type=int)
    back.add_argument("--as", dest="as_user")
    back.set_defaults(func=cmd_rollback)
