"""Running one step and undoing steps, with secrets kept out of everything that is stored or audited."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.config import Settings
from deskpilot.errors import DomainError, InvalidInput
from deskpilot.runbooks.account_directory import AccountDirectory
from deskpilot.runbooks.actions.base import ActionContext
from deskpilot.runbooks.actions.registry import get_action
from deskpilot.runbooks.definition import StepSpec, render_inputs
from deskpilot.runbooks.enums import StepStatus
from deskpilot.runbooks.identity import Directory, LdapDirectory
from deskpilot.runbooks.journal import JournalRun
from deskpilot.runbooks.models import RunbookRun, RunbookRunStep
from deskpilot.runbooks.parameters import MASK, scrub
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import Channel, MessageKind
from deskpilot.tickets.schemas import MessageCreate

log = logging.getLogger(__name__)
DirectoryFactory = Callable[[Settings], Directory]
AUTOMATION = Principal.system("runbooks")


class LazyDirectory:
    """Opens the directory on first use, once per run, and closes it at the end: the given factory's, else
    LDAP when DESKPILOT_LDAP_URL is set, else deskpilot's own accounts in the run's `session`."""

    def __init__(self, settings: Settings, factory: DirectoryFactory | None, *, session: Session,
                 actor: Principal) -> None:
        self.settings, self.factory, self.session, self.actor = settings, factory, session, actor
        self.opened: Directory | None = None

    def __call__(self) -> Directory:
        if self.opened is None:
            if self.factory is not None:
                self.opened = self.factory(self.settings)
            elif self.settings.ldap_url:
                self.opened = LdapDirectory(self.settings)
            else:
                self.opened = AccountDirectory(self.session, self.settings, self.actor)
        return self.opened

    def close(self) -> None:
        if self.opened is not None:
            self.opened.close()


def mask_inputs(inputs: Mapping[str, Any], secret_keys: frozenset[str], secrets: Iterable[str]) -> dict[str, Any]:
    shown = {k: (MASK if k in secret_keys else v) for k, v in inputs.items()}
    return {k: scrub(v, secrets) for k, v in shown.items()}


def audit_step(session: Session, *, run: RunbookRun, actor: Principal, step: RunbookRunStep, event: str) -> None:
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action=event, subject_type="runbook_run",
                 subject_id=run.id, after={"position": step.position, "step": step.step_id, "action": step.action,
                                           "status": step.status, "inputs": step.inputs, "output": step.output,
                                           "duration_ms": step.duration_ms, "error": step.error})


def run_step(ctx: ActionContext, *, run: RunbookRun, position: int, spec: StepSpec, scope: Mapping[str, Any],
             secrets: list[str], journal: JournalRun | None = None) -> tuple[RunbookRunStep, str]:
    """Execute one step in a savepoint; the stored row says what happened (its error, if it failed).

    A step that may change something outside the database is first written to the `journal`; when
    that fails, the step fails without running.
    """
    action = get_action(spec.action)
    raw = render_inputs(spec.inputs, scope)
    row = RunbookRunStep(run_id=run.id, position=position, step_id=spec.id, action=spec.action,
                         status=StepStatus.FAILED, inputs=mask_inputs(raw, action.secret_inputs, secrets),
                         rollback_action=spec.rollback)
    started, summary, announced = time.monotonic(), "", False
    try:
        inputs = action.parse(raw)
        if journal is not None and action.external and action.might_change(raw):
            journal.step_started(row)
            announced = True
        with ctx.session.begin_nested():
            result = action.execute(ctx, inputs)
        summary = scrub(result.summary, secrets)
        row.status, row.output, row.undo = StepStatus.SUCCEEDED, scrub(result.output, secrets), result.undo
        changed = bool(result.output.get("changed", action.might_change(spec.inputs)))
        row.reversible = result.undo is not None or not changed
    except DomainError as exc:
        row.error = scrub(exc.message, secrets)
    except Exception as exc:  # noqa: BLE001 - any failure of a step must roll the run back, then be reported
        log.exception("runbook step %s (%s) of run %s failed unexpectedly", spec.id, spec.action, run.id)
        row.error = scrub(f"{type(exc).__name__}: {exc}", secrets)
    row.duration_ms = round((time.monotonic() - started) * 1000)
    if announced and journal is not None:
        journal.step_finished(row)
    ctx.session.add(row)
    ctx.session.flush()
    return row, summary


def undo_steps(ctx: ActionContext, *, run: RunbookRun, steps: list[RunbookRunStep],
               journal: JournalRun | None = None) -> list[str]:
    """Roll back `steps` in reverse order (each announced in the `journal`, if given); returns what could
    not be undone (empty when all were)."""
    problems: list[str] = []
    for row in reversed(steps):
        if row.undo is None:
            if not row.reversible:
                problems.append(f"{row.step_id} ({row.action}) cannot be undone")
            continue
        started = time.monotonic()
        try:
            if row.rollback_action is None:
                raise InvalidInput(f"{row.action} has no rollback action")
            action = get_action(row.rollback_action)
            if journal is not None:
                journal.undo_started(row)
            with ctx.session.begin_nested():
                action.execute(ctx, action.parse(row.undo))
            row.status = StepStatus.ROLLED_BACK
        except DomainError as exc:
            row.status, row.error = StepStatus.ROLLBACK_FAILED, exc.message
            problems.append(f"{row.step_id} ({row.action}): {exc.message}")
        except Exception as exc:  # noqa: BLE001 - keep undoing the other steps, then report this one
            log.exception("rollback of step %s of run %s failed unexpectedly", row.step_id, run.id)
            row.status, row.error = StepStatus.ROLLBACK_FAILED, f"{type(exc).__name__}: {exc}"
            problems.append(f"{row.step_id} ({row.action}): {row.error}")
        row.duration_ms += round((time.monotonic() - started) * 1000)
        if journal is not None:
            journal.undo_finished(row)
        ctx.session.flush()
        audit_step(ctx.session, run=run, actor=ctx.actor, step=row, event="runbook.step.rollback")
    return problems


def note_on_ticket(session: Session, *, ticket_id: int | None, body: str) -> None:
    """An internal note on the run's ticket; a closed ticket keeps its record in the run and the audit log."""
    if ticket_id is None:
        return
    try:
        tickets.add_message(session, actor=AUTOMATION, ticket_id=ticket_id,
                            data=MessageCreate(body=body, kind=MessageKind.INTERNAL_NOTE, channel=Channel.API))
    except InvalidInput as exc:
        log.warning("could not note runbook outcome on DP-%s: %s", ticket_id, exc.message)
