"""Putting an unrecorded run on the record, after undoing its changes from the journal if asked (leads).

The run is recorded as its journal tells it: a run row with the journal's token (so it is no longer
unrecorded), a row per journaled step, and audit events by the operator who recovered it. With `undo`,
the steps that may have changed something are first rolled back in reverse order through their rollback
actions with the undo inputs the journal kept, exactly as a failed run rolls back; each undo is itself
journaled, so a recovery that is lost in turn can be repeated.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from deskpilot.accounts.models import User
from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.errors import Conflict
from deskpilot.runbooks import executor, locks
from deskpilot.runbooks import service as definitions
from deskpilot.runbooks.actions.base import ActionContext
from deskpilot.runbooks.enums import RunMode, RunStatus, StepStatus
from deskpilot.runbooks.journal import JournalRun, RunJournal
from deskpilot.runbooks.models import RunbookRun, RunbookRunStep
from deskpilot.runbooks.steps import DirectoryFactory, LazyDirectory, audit_step, note_on_ticket, undo_steps
from deskpilot.runbooks.unrecorded import JournalStep, StepOutcome, UnrecordedRun, unrecorded_run
from deskpilot.tickets.models import Ticket

_STEP_STATUS = {StepOutcome.STARTED: StepStatus.FAILED, StepOutcome.SUCCEEDED: StepStatus.SUCCEEDED,
                StepOutcome.FAILED: StepStatus.FAILED, StepOutcome.UNDOING: StepStatus.ROLLBACK_FAILED,
                StepOutcome.ROLLED_BACK: StepStatus.ROLLED_BACK,
                StepOutcome.ROLLBACK_FAILED: StepStatus.ROLLBACK_FAILED}
_UNDO_AGAIN = (StepOutcome.SUCCEEDED, StepOutcome.UNDOING, StepOutcome.ROLLBACK_FAILED)


def recover(session: Session, *, settings: Settings, actor: Principal, token: str, undo: bool,
            directory_factory: DirectoryFactory | None = None) -> RunbookRun:
    """Record the unrecorded run `token` (leads); with `undo`, roll its changes back first.

    The run ends `recovered` (changes kept), `rolled_back`, or `rollback_failed` with what is left to
    check by hand in `error`.
    """
    require(actor, Permission.RUNBOOK_ROLLBACK)
    found = unrecorded_run(session, settings=settings, actor=actor, token=token)
    run = _run_row(session, found)
    locks.acquire(session, target=run.target, run_id=run.id)
    try:
        stored = {s.position: s for s in executor.run_steps(session, run_id=run.id)}
        rows = [_step_row(session, run, step, stored.get(step.position)) for step in found.steps.values()]
        session.flush()
        for row in rows:
            audit_step(session, run=run, actor=actor, step=row, event="runbook.step.recovered")
        problems = _undo(session, settings=settings, actor=actor, run=run, found=found, rows=rows,
                         directory_factory=directory_factory) if undo else []
    finally:
        locks.release(session, target=run.target)
    _finish(session, actor=actor, run=run, found=found, undo=undo, problems=problems)
    return run


def _run_row(session: Session, found: UnrecordedRun) -> RunbookRun:
    """The row still `running` if one was committed, else a new one with the journal's token."""
    start = found.started
    if start is None:
        raise Conflict(f"The journal's first entry of run {found.token} is unreadable, so it cannot be recorded; "
                       "undo its steps by hand from `deskpilot runbooks unrecorded --json`.")
    run = session.get(RunbookRun, found.running_run_id) if found.running_run_id is not None else None
    if run is None:
        version = definitions.get_version(session, name=start["runbook"], version=int(start["version"]))
        run = RunbookRun(version_id=version.id, mode=RunMode.EXECUTE, status=RunStatus.RUNNING,
                         target=str(start["target"])[:200], parameters=dict(start.get("parameters") or {}),
                         parameters_hash=str(start.get("parameters_hash") or ""), origin=str(start["origin"]),
                         actor_name=str(start["actor"]), journal_token=found.token,
                         created_at=datetime.fromisoformat(start["at"]),
                         ticket_id=_existing(session, Ticket, start.get("ticket_id")),
                         actor_id=_existing(session, User, start.get("actor_id")))
        try:
            with session.begin_nested():
                session.add(run)
        except IntegrityError as exc:
            raise Conflict(f"Run {found.token} is being recorded right now (by its own transaction, or another "
                           "recovery); list the unrecorded runs again in a moment.") from exc
    run.status = RunStatus.RUNNING
    session.flush()
    return run


def _existing(session: Session, model: type[Ticket] | type[User], key: Any) -> int | None:
    # The run's transaction may have created its ticket (self-service) and taken it along when it was lost.
    return key if isinstance(key, int) and session.get(model, key) is not None else None


def _step_row(session: Session, run: RunbookRun, step: JournalStep, stored: RunbookRunStep | None) -> RunbookRunStep:
    row = stored or RunbookRunStep(run_id=run.id, position=step.position, duration_ms=0)
    row.step_id, row.action, row.status = step.step_id, step.action, _STEP_STATUS[step.outcome]
    row.inputs, row.output, row.undo, row.rollback_action = step.inputs, step.output, step.undo, step.rollback_action
    row.reversible = step.outcome is not StepOutcome.STARTED and (step.reversible or not step.may_have_changed)
    row.error = step.error
    if step.outcome is StepOutcome.STARTED:
        row.error = f"no outcome in the journal: the process stopped while this step ran; check {run.target} by hand"
    elif step.outcome is StepOutcome.UNDOING:
        row.error = "its undo began but has no outcome in the journal"
    session.add(row)
    return row


def _undo(session: Session, *, settings: Settings, actor: Principal, run: RunbookRun, found: UnrecordedRun,
          rows: list[RunbookRunStep], directory_factory: DirectoryFactory | None) -> list[str]:
    """Roll back what may still be changed; returns what could not be (steps without an outcome among it)."""
    unknown = [f"{s.step_id} ({s.action}): no outcome in the journal, so it is not undone; check {run.target} by hand"
               for s in found.steps.values() if s.outcome is StepOutcome.STARTED]
    pending = [row for row, step in zip(rows, found.steps.values(), strict=True) if step.outcome in _UNDO_AGAIN]
    directory = LazyDirectory(settings, directory_factory, session=session, actor=actor)
    ctx = ActionContext(session=session, settings=settings, actor=actor, ticket_actor=actor, directory=directory,
                        run_id=run.id, ticket_id=run.ticket_id,
                        deadline=time.monotonic() + settings.runbook_run_timeout_seconds)
    journal = JournalRun(RunJournal.of(settings), found.token)
    try:
        return unknown + undo_steps(ctx, run=run, steps=pending, journal=journal)
    finally:
        directory.close()


def _finish(session: Session, *, actor: Principal, run: RunbookRun, found: UnrecordedRun, undo: bool,
            problems: list[str]) -> None:
    ended = found.finished
    run.finished_at = datetime.fromisoformat(ended["at"]) if ended else utcnow()
    run.status = RunStatus.RECOVERED if not undo else RunStatus.ROLLBACK_FAILED if problems else RunStatus.ROLLED_BACK
    run.rolled_back_at = utcnow() if undo else None
    how = "its changes were kept"
    if undo:
        how = f"NOT all of its changes could be undone ({'; '.join(problems)})" if problems else \
            "its changes were undone"
    end = f"it ended {ended['status']}" if ended else "it has no end in the journal"
    run.error = (f"Recovered from the runbook journal by {actor.username}: the run's own record was lost "
                 f"({end}); {how}.")
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="runbook.run.recovered",
                 subject_type="runbook_run", subject_id=run.id,
                 after={"token": found.token, "status": run.status, "undo": undo, "problems": problems,
                        "journal": {"started": found.started, "finished": ended}})
    note_on_ticket(session, ticket_id=run.ticket_id, body=f"Runbook run #{run.id} on {run.target} had not been "
                   f"recorded. {run.error}")
