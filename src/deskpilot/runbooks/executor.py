"""Dry-runs and runs of approved runbooks, and the later rollback of a completed run.

A run needs a fresh dry-run of the same version with the same parameters; it holds the target's lock,
runs step by step (each audited with masked inputs, output, duration and actor), and on a failure
undoes the completed steps in reverse order and says so on the ticket. An idempotency key makes a
repeated request return the first run instead of running again.

An execution is also written to the runbook journal (`runbooks.journal`) under its `journal_token`,
each change before it is made, so a change is never lost with the caller's transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.errors import Conflict, InvalidInput, NotFound
from deskpilot.runbooks import locks
from deskpilot.runbooks import service as definitions
from deskpilot.runbooks.actions.base import ActionContext
from deskpilot.runbooks.actions.registry import get_action
from deskpilot.runbooks.definition import RunbookSpec, render, render_inputs, validate_parameters
from deskpilot.runbooks.enums import RunMode, RunStatus, StepStatus
from deskpilot.runbooks.journal import JournalEvent, JournalRun, RunJournal
from deskpilot.runbooks.models import RunbookRun, RunbookRunStep, RunbookVersion
from deskpilot.runbooks.parameters import masked, scrub
from deskpilot.runbooks.steps import (
    DirectoryFactory,
    LazyDirectory,
    audit_step,
    mask_inputs,
    note_on_ticket,
    run_step,
    undo_steps,
)
from deskpilot.tickets import service as tickets


@dataclass(frozen=True)
class RunRequest:
    """What a dry-run or run is asked to do."""

    runbook: str
    parameters: Mapping[str, Any]
    version: int | None = None
    ticket_id: int | None = None
    client_data: Mapping[str, Any] = field(default_factory=dict)
    dry_run_id: int | None = None
    idempotency_key: str | None = None


def parameters_hash(settings: Settings, version_id: int, values: Mapping[str, Any]) -> str:
    """Keys a run by version and parameter values without storing secrets (HMAC with the app's secret)."""
    payload = json.dumps({"version": version_id, "values": values}, sort_keys=True, default=str)
    return hmac.new(settings.secret_key.encode(), payload.encode(), hashlib.sha256).hexdigest()


def _scope(values: Mapping[str, Any], run: RunbookRun) -> dict[str, Any]:
    return {**{f"params.{k}": v for k, v in values.items()}, "run.id": run.id, "run.ticket_id": run.ticket_id}


def _context(session: Session, settings: Settings, actor: Principal, ticket_actor: Principal, run: RunbookRun,
             directory: LazyDirectory, client_data: Mapping[str, Any]) -> ActionContext:
    return ActionContext(session=session, settings=settings, actor=actor, ticket_actor=ticket_actor,
                         directory=directory, run_id=run.id, ticket_id=run.ticket_id, client_data=client_data,
                         deadline=time.monotonic() + settings.runbook_step_timeout_seconds)


def _new_run(session: Session, *, settings: Settings, actor: Principal, request: RunRequest, mode: RunMode,
             origin: str) -> tuple[RunbookRun, RunbookVersion, RunbookSpec, dict[str, Any]]:
    version, spec = definitions.runnable_version(session, name=request.runbook, version=request.version)
    values = validate_parameters(spec, request.parameters)
    if request.ticket_id is not None and origin == "operator":
        tickets.get(session, actor=actor, ticket_id=request.ticket_id)
    run = RunbookRun(version_id=version.id, mode=mode, status=RunStatus.PLANNED, parameters=masked(
        values, spec.secret_parameters), parameters_hash=parameters_hash(settings, version.id, values),
        target=str(render(spec.target, {**{f"params.{k}": v for k, v in values.items()},
                                          "run.ticket_id": request.ticket_id}))[:200],
        ticket_id=request.ticket_id, origin=origin, actor_id=actor.user_id, actor_name=actor.username,
        idempotency_key=request.idempotency_key if mode is RunMode.EXECUTE else None, created_at=utcnow())
    try:
        with session.begin_nested():
            session.add(run)
    except IntegrityError as exc:
        raise Conflict("A run with this idempotency key is being started right now.") from exc
    return run, version, spec, values


def dry_run(session: Session, *, settings: Settings, actor: Principal, request: RunRequest,
            directory_factory: DirectoryFactory | None = None, origin: str = "operator") -> RunbookRun:
    """What a run would change, read from the current state; changes nothing (agents and up)."""
    if origin == "operator":
        require(actor, Permission.RUNBOOK_RUN)
    run, version, spec, values = _new_run(session, settings=settings, actor=actor, request=request,
                                          mode=RunMode.DRY_RUN, origin=origin)
    directory = LazyDirectory(settings, directory_factory, session=session, actor=actor)
    ctx = _context(session, settings, actor, actor, run, directory, request.client_data)
    secrets = [str(values[n]) for n in spec.secret_parameters if n in values]
    scope, plan = _scope(values, run), []
    try:
        for step in spec.steps:
            action = get_action(step.action)
            raw = render_inputs(step.inputs, scope)
            scope[f"steps.{step.id}.summary"] = f"(output of {step.id})"
            change = action.plan(ctx, action.parse(raw))
            plan.append({"step": step.id, "action": step.action, "inputs": mask_inputs(raw, action.secret_inputs,
                                                                                    secrets),
                         "description": change.description, "before": change.before, "after": change.after,
                         "changes": change.changes, "rollback": step.rollback, "irreversible": step.irreversible})
    finally:
        directory.close()
    run.plan, run.finished_at = scrub(plan, secrets), utcnow()
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="runbook.dry_run",
                 subject_type="runbook_run", subject_id=run.id,
                 after={"runbook": spec.name, "version": version.version, "parameters": run.parameters,
                        "target": run.target, "plan": run.plan})
    return run


def _existing(session: Session, *, settings: Settings, key: str | None, request: RunRequest) -> RunbookRun | None:
    if key is None:
        return None
    found = session.scalar(select(RunbookRun).where(RunbookRun.idempotency_key == key))
    if found is None:
        return None
    version, spec = definitions.runnable_version(session, name=request.runbook, version=request.version)
    values = validate_parameters(spec, request.parameters)
    if found.version_id != version.id or found.parameters_hash != parameters_hash(settings, version.id, values):
        raise Conflict(f"The idempotency key {key!r} was used for a different run (#{found.id}).")
    return found


def _check_dry_run(session: Session, *, settings: Settings, run: RunbookRun, dry_run_id: int | None) -> None:
    dry = session.get(RunbookRun, dry_run_id) if dry_run_id is not None else None
    fresh_since = utcnow() - timedelta(minutes=settings.runbook_dry_run_valid_minutes)
    if (dry is None or dry.mode is not RunMode.DRY_RUN or dry.version_id != run.version_id
            or dry.parameters_hash != run.parameters_hash or dry.created_at < fresh_since):
        raise InvalidInput("Do a dry-run of this version with these parameters first (and run within "
                           f"{settings.runbook_dry_run_valid_minutes} minutes); pass its id as dry_run_id.")


def run(session: Session, *, settings: Settings, actor: Principal, request: RunRequest,
        directory_factory: DirectoryFactory | None = None) -> RunbookRun:
    """Execute an approved runbook after its dry-run (agents and up); see `execute` for the mechanics."""
    require(actor, Permission.RUNBOOK_RUN)
    existing = _existing(session, settings=settings, key=request.idempotency_key, request=request)
    if existing is not None:
        return existing
    return execute(session, settings=settings, actor=actor, ticket_actor=actor, request=request,
                   directory_factory=directory_factory, origin="operator")


def execute(session: Session, *, settings: Settings, actor: Principal, ticket_actor: Principal, request: RunRequest,
            directory_factory: DirectoryFactory | None, origin: str) -> RunbookRun:
    """Run step by step under the target's lock; a failed step rolls back the completed ones.

    The caller has checked who may do this (an operator's permission, or self-service's own checks).
    """
    new, version, spec, values = _new_run(session, settings=settings, actor=actor, request=request,
                                          mode=RunMode.EXECUTE, origin=origin)
    _check_dry_run(session, settings=settings, run=new, dry_run_id=request.dry_run_id)
    new.dry_run_id, new.status, new.journal_token = request.dry_run_id, RunStatus.RUNNING, uuid4().hex
    session.flush()
    secrets = [str(values[n]) for n in spec.secret_parameters if n in values]
    journal = _journal_start(settings, token=new.journal_token, run=new, version=version, spec=spec, secrets=secrets)
    locks.acquire(session, target=new.target, run_id=new.id)
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="runbook.run.start",
                 subject_type="runbook_run", subject_id=new.id,
                 after={"runbook": spec.name, "version": version.version, "hash": version.approved_hash,
                        "parameters": new.parameters, "target": new.target, "origin": origin})
    directory = LazyDirectory(settings, directory_factory, session=session, actor=actor)
    try:
        _steps(session, settings=settings, actor=actor, ticket_actor=ticket_actor, run=new, spec=spec,
               values=values, directory=directory, client_data=request.client_data, secrets=secrets,
               journal=journal)
    finally:
        directory.close()
        locks.release(session, target=new.target)
    new.finished_at = utcnow()
    session.flush()
    journal.note(JournalEvent.RUN_FINISHED, run_id=new.id, status=new.status, error=new.error)
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action=f"runbook.run.{new.status}",
                 subject_type="runbook_run", subject_id=new.id, after={"status": new.status, "error": new.error})
    return new


def _journal_start(settings: Settings, *, token: str, run: RunbookRun, version: RunbookVersion, spec: RunbookSpec,
                   secrets: list[str]) -> JournalRun:
    """The run's journal, begun with what recovery needs to record it; raises before anything changed."""
    journal = JournalRun(RunJournal.of(settings), token, secrets)
    journal.write(JournalEvent.RUN_STARTED, run_id=run.id, runbook=spec.name, version=version.version,
                  target=run.target, parameters=run.parameters, parameters_hash=run.parameters_hash,
                  ticket_id=run.ticket_id, origin=run.origin, actor_id=run.actor_id, actor=run.actor_name)
    return journal


def _steps(session: Session, *, settings: Settings, actor: Principal, ticket_actor: Principal, run: RunbookRun,
           spec: RunbookSpec, values: Mapping[str, Any], directory: LazyDirectory, client_data: Mapping[str, Any],
           secrets: list[str], journal: JournalRun) -> None:
    scope, done = _scope(values, run), list[RunbookRunStep]()
    run_deadline = time.monotonic() + settings.runbook_run_timeout_seconds
    for position, step in enumerate(spec.steps):
        ctx = _context(session, settings, actor, ticket_actor, run, directory, client_data)
        ctx.deadline = min(ctx.deadline, run_deadline)
        if time.monotonic() >= run_deadline:
            _fail(ctx, run=run, spec=spec, done=done, journal=journal,
                  error=f"the run exceeded {settings.runbook_run_timeout_seconds} s before step {step.id!r}")
            return
        row, summary = run_step(ctx, run=run, position=position, spec=step, scope=scope, secrets=secrets,
                                journal=journal)
        audit_step(session, run=run, actor=actor, step=row, event="runbook.step")
        if row.status is not StepStatus.SUCCEEDED:
            _fail(ctx, run=run, spec=spec, done=done, journal=journal,
                  error=f"step {step.id!r} ({step.action}) failed: {row.error}")
            return
        done.append(row)
        scope[f"steps.{step.id}.summary"] = summary
    run.status = RunStatus.SUCCEEDED


def _fail(ctx: ActionContext, *, run: RunbookRun, spec: RunbookSpec, done: list[RunbookRunStep], journal: JournalRun,
          error: str) -> None:
    problems = undo_steps(ctx, run=run, steps=done, journal=journal)
    run.error = error
    run.status = RunStatus.ROLLBACK_FAILED if problems else RunStatus.ROLLED_BACK
    undone = ", ".join(s.step_id for s in done if s.status is StepStatus.ROLLED_BACK) or "none needed"
    note = (f"Runbook {spec.name} (run #{run.id}) failed: {error}.\nCompleted steps rolled back: {undone}.")
    if problems:
        note += "\nNOT rolled back (check by hand): " + "; ".join(problems) + "."
    note_on_ticket(ctx.session, ticket_id=run.ticket_id, body=note)


def get_run(session: Session, *, actor: Principal, run_id: int) -> RunbookRun:
    require(actor, Permission.RUNBOOK_READ)
    found = session.get(RunbookRun, run_id)
    if found is None:
        raise NotFound(f"No runbook run #{run_id}.")
    return found


def run_steps(session: Session, *, run_id: int) -> list[RunbookRunStep]:
    return list(session.scalars(select(RunbookRunStep).where(RunbookRunStep.run_id == run_id)
                                .order_by(RunbookRunStep.position)))


def get_runs(session: Session, *, actor: Principal, runbook: str | None = None, ticket_id: int | None = None,
             offset: int = 0, limit: int = 50) -> list[RunbookRun]:
    require(actor, Permission.RUNBOOK_READ)
    query = select(RunbookRun)
    if runbook is not None:
        ids = [v.id for v in definitions.versions(session, name=runbook)]
        query = query.where(RunbookRun.version_id.in_(ids))
    if ticket_id is not None:
        query = query.where(RunbookRun.ticket_id == ticket_id)
    return list(session.scalars(query.order_by(RunbookRun.id.desc()).offset(offset).limit(limit)))


def rollback(session: Session, *, settings: Settings, actor: Principal, run_id: int,
             directory_factory: DirectoryFactory | None = None) -> RunbookRun:
    """Undo a completed run in reverse order, when every step that changed something can be undone (leads).

    A run recovered from the journal with its changes kept is rolled back the same way."""
    require(actor, Permission.RUNBOOK_ROLLBACK)
    target = get_run(session, actor=actor, run_id=run_id)
    if target.mode is not RunMode.EXECUTE or target.status not in (RunStatus.SUCCEEDED, RunStatus.RECOVERED):
        raise Conflict(f"Run #{run_id} is a {target.mode} that {target.status}; only a succeeded or recovered run "
                       "is rolled back.")
    # A recovered run may have steps its own failure had undone already.
    steps = [s for s in run_steps(session, run_id=run_id) if s.status is not StepStatus.ROLLED_BACK]
    blocking = [s.step_id for s in steps if not s.reversible]
    if blocking:
        raise Conflict(f"Run #{run_id} cannot be rolled back: {', '.join(blocking)} cannot be undone.")
    locks.acquire(session, target=target.target, run_id=target.id)
    directory = LazyDirectory(settings, directory_factory, session=session, actor=actor)
    ctx = _context(session, settings, actor, actor, target, directory, {})
    journal = JournalRun(RunJournal.of(settings), target.journal_token) if target.journal_token else None
    try:
        problems = undo_steps(ctx, run=target, steps=steps, journal=journal)
    finally:
        directory.close()
        locks.release(session, target=target.target)
    target.status = RunStatus.ROLLBACK_FAILED if problems else RunStatus.ROLLED_BACK
    target.rolled_back_at, target.error = utcnow(), "; ".join(problems) or None
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="runbook.run.rollback",
                 subject_type="runbook_run", subject_id=target.id, after={"status": target.status,
                                                                          "problems": problems})
    note_on_ticket(session, ticket_id=target.ticket_id, body=f"Run #{target.id} was rolled back by {actor.username}"
                   + (f"; NOT undone: {'; '.join(problems)}." if problems else "."))
    return target

