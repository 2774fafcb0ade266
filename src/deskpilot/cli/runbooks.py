"""`deskpilot runbooks ...`: install, list, show, create, edit, approve, dry-run, run, runs, rollback, and
unrecorded / recover for runs whose changes the journal has but the database lost."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from dataclasses import asdict
from pathlib import Path

from deskpilot.cli.acting import CLI, add_actor_args, authenticated_actor
from deskpilot.cli.admin import Sub
from deskpilot.cli.context import database, load_settings
from deskpilot.errors import InvalidInput
from deskpilot.runbooks import builtin, executor, recovery
from deskpilot.runbooks import service as definitions
from deskpilot.runbooks.enums import RunStatus
from deskpilot.runbooks.models import RunbookRun, RunbookRunStep
from deskpilot.runbooks.unrecorded import JournalStep, StepOutcome, UnrecordedReport, UnrecordedRun, find_unrecorded


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
    settings = load_settings()
    with database(settings) as session:
        actor = authenticated_actor(session, settings, args)
        version = definitions.edit(session, actor=actor, name=args.name, source=source) if args.name else \
            definitions.create(session, actor=actor, source=source)
        print(f"draft v{version.version} saved, sha256={version.content_hash}")
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    settings = load_settings()
    with database(settings) as session:
        version = definitions.approve(session, actor=authenticated_actor(session, settings, args), name=args.name,
                                      version=args.version, reviewed_hash=args.hash)
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
        run = executor.dry_run(session, settings=settings, actor=authenticated_actor(session, settings, args),
                               request=_request(args))
        _show_run(run)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    settings = load_settings()
    with database(settings) as session:
        run = executor.run(session, settings=settings, actor=authenticated_actor(session, settings, args),
                           request=_request(args))
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
        run = executor.rollback(session, settings=settings, actor=authenticated_actor(session, settings, args),
                                run_id=args.run_id)
        _show_run(run, executor.run_steps(session, run_id=run.id))
    return 0 if run.status == "rolled_back" else 1


def _step_line(step: JournalStep) -> str:
    inputs = json.dumps(step.inputs, sort_keys=True)
    line = f"    [{step.position}] {step.step_id} ({step.action} {inputs}): {step.outcome}"
    if step.outcome is StepOutcome.STARTED:
        return line + ", no outcome in the journal: check by hand"
    if not step.may_have_changed:
        return line + ", nothing left changed"
    if step.undo is None or step.rollback_action is None:
        return line + ", cannot be undone: check by hand"
    return line + f"; undo: {step.rollback_action} {json.dumps(step.undo, sort_keys=True)}"


def _show_unrecorded_run(run: UnrecordedRun) -> None:
    where = f"run #{run.running_run_id} is still 'running'" if run.running_run_id else "no run in the database"
    print(f"{run.token}  {run.describe()}; {where}")
    for step in run.steps.values():
        print(_step_line(step))


def _show_unrecorded(report: UnrecordedReport) -> None:
    for problem in report.problems:
        print(f"warning: {report.journal} line {problem.line}: {problem.message}; the other entries were read",
              file=sys.stderr)
    if not report.runs:
        print(f"No unrecorded runs: every run in the journal ({report.journal}) that changed something is on the "
              "record.")
        return
    print(f"{len(report.runs)} run(s) changed something outside the database but are not on the record "
          f"(journal: {report.journal}):")
    for run in report.runs:
        _show_unrecorded_run(run)
    print("Next: `deskpilot runbooks recover TOKEN --undo` undoes a run's changes from the journal and records it; "
          "`deskpilot runbooks recover TOKEN` records it with its changes kept (a lead may roll it back later).")


def cmd_unrecorded(args: argparse.Namespace) -> int:
    settings = load_settings()
    with database(settings) as session:
        report = find_unrecorded(session, settings=settings, actor=authenticated_actor(session, settings, args))
    if args.json:
        print(json.dumps({"journal": str(report.journal), "runs": [r.as_dict() for r in report.runs],
                          "problems": [asdict(p) for p in report.problems]}, indent=2, default=str))
    else:
        _show_unrecorded(report)
    return 1 if report.runs or report.problems else 0


def cmd_recover(args: argparse.Namespace) -> int:
    settings = load_settings()
    with database(settings) as session:
        run = recovery.recover(session, settings=settings, actor=authenticated_actor(session, settings, args),
                               token=args.token, undo=args.undo)
        _show_run(run, executor.run_steps(session, run_id=run.id))
    if run.status is RunStatus.ROLLBACK_FAILED:
        print("Not everything was undone: check what the error names by hand.", file=sys.stderr)
        return 1
    if run.status is RunStatus.RECOVERED:
        print(f"Recorded with its changes kept; `deskpilot runbooks rollback {run.id} --as LEAD` undoes them.")
    return 0


def _run_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name")
    parser.add_argument("-p", "--param", action="append", help="NAME=VALUE (repeatable)")
    parser.add_argument("--secret", action="append", help="a parameter to prompt for without echo (repeatable)")
    parser.add_argument("--version", type=int)
    parser.add_argument("--ticket", type=int)
    parser.add_argument("--client-data", help="JSON object of answers and client data (diagnostics)")
    add_actor_args(parser)


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
        add_actor_args(save, who="the author (default: cli)")
    approve = rb.add_parser("approve", help="approve a draft as a lead (give the hash you reviewed)")
    approve.add_argument("name")
    approve.add_argument("version", type=int)
    approve.add_argument("--hash", required=True)
    add_actor_args(approve, required=True, who="the approving lead's user name")
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
    add_actor_args(back, who="the lead rolling it back")
    back.set_defaults(func=cmd_rollback)
    lost = rb.add_parser("unrecorded", help="runs the journal shows changing something that the database lacks "
                                            "(exits 1 when there are any, or unreadable journal lines)")
    lost.add_argument("--json", action="store_true", help="print them as JSON")
    add_actor_args(lost)
    lost.set_defaults(func=cmd_unrecorded)
    recover = rb.add_parser("recover", help="put an unrecorded run on the record (--undo: undo its changes first)")
    recover.add_argument("token", help="the run's journal token (or its first characters) from `unrecorded`")
    recover.add_argument("--undo", action="store_true", help="roll its changes back from the journal first")
    add_actor_args(recover, who="the lead recovering it (default: cli)")
    recover.set_defaults(func=cmd_recover)
