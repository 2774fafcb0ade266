"""Runs that changed something outside the database but are not on the record, found from the journal.

A run is unrecorded when the runbook journal shows it began a step that changes the outside world (the
directory, a web service) and the database has no committed run with its token, or only one still
`running`: its transaction was lost after the change was made. `find_unrecorded` lists such runs with
what each step did and how to undo it; `recovery.recover` puts one on the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.config import Settings
from deskpilot.errors import Conflict, InvalidInput, NotFound
from deskpilot.runbooks.enums import RunStatus
from deskpilot.runbooks.journal import JournalEntry, JournalEvent, JournalProblem, RunJournal
from deskpilot.runbooks.models import RunbookRun

_MIN_PREFIX = 6
_STARTED_KEYS = ("at", "runbook", "version", "target", "actor", "origin")


class StepOutcome(StrEnum):
    """How far a journaled step got, by its last entry."""

    STARTED = "started"  # no end: the process stopped while the step ran
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNDOING = "undoing"  # an undo began and has no end
    ROLLED_BACK = "rolled_back"
    ROLLBACK_FAILED = "rollback_failed"


@dataclass
class JournalStep:
    """A step the journal shows about to change the outside world, and what became of it."""

    position: int
    step_id: str
    action: str
    inputs: dict[str, Any]
    rollback_action: str | None
    outcome: StepOutcome = StepOutcome.STARTED
    output: dict[str, Any] = field(default_factory=dict)
    undo: dict[str, Any] | None = None
    reversible: bool = False
    error: str | None = None

    @property
    def may_have_changed(self) -> bool:
        """Whether the outside world may still carry this step's change."""
        if self.outcome in (StepOutcome.FAILED, StepOutcome.ROLLED_BACK):
            return False
        return self.outcome is not StepOutcome.SUCCEEDED or self.output.get("changed") is not False

    def as_dict(self) -> dict[str, Any]:
        return {"position": self.position, "step": self.step_id, "action": self.action, "inputs": self.inputs,
                "outcome": self.outcome, "may_have_changed": self.may_have_changed, "output": self.output,
                "rollback_action": self.rollback_action, "undo": self.undo, "error": self.error}


@dataclass
class UnrecordedRun:
    """One run as the journal tells it; `started` is None when its first entry could not be read."""

    token: str
    started: dict[str, Any] | None = None
    finished: dict[str, Any] | None = None
    steps: dict[int, JournalStep] = field(default_factory=dict)
    running_run_id: int | None = None  # a committed row still `running`, if there is one

    @property
    def started_at(self) -> datetime | None:
        return datetime.fromisoformat(self.started["at"]) if self.started else None

    def describe(self) -> str:
        if self.started is None:
            return "(its start entry is unreadable: runbook, target and actor unknown)"
        ended = f"ended {self.finished['status']}" if self.finished else "no end in the journal"
        return (f"{self.started['runbook']} v{self.started['version']} on {self.started['target']} by "
                f"{self.started['actor']}, started {self.started['at'][:19]}Z, {ended}")

    def as_dict(self) -> dict[str, Any]:
        return {"token": self.token, "started": self.started, "finished": self.finished,
                "running_run_id": self.running_run_id, "steps": [s.as_dict() for s in self.steps.values()]}


@dataclass(frozen=True)
class UnrecordedReport:
    journal: Path
    runs: list[UnrecordedRun]
    problems: list[JournalProblem]


def find_unrecorded(session: Session, *, settings: Settings, actor: Principal) -> UnrecordedReport:
    """The runs in the journal that changed something outside the database and are not on the record."""
    require(actor, Permission.RUNBOOK_READ)
    journal = RunJournal.of(settings)
    reading = journal.read()
    runs, problems = _fold(reading.entries)
    changing = {token: run for token, run in runs.items() if run.steps}
    recorded = _recorded(session, list(changing))
    unrecorded = []
    for token, run in changing.items():
        row = recorded.get(token)
        if row is None or row[1] is RunStatus.RUNNING:
            run.running_run_id = row[0] if row else None
            unrecorded.append(run)
    return UnrecordedReport(journal.path, unrecorded, reading.problems + problems)


def _recorded(session: Session, tokens: list[str]) -> dict[str, tuple[int, RunStatus]]:
    found: dict[str, tuple[int, RunStatus]] = {}
    for start in range(0, len(tokens), 500):
        query = select(RunbookRun.journal_token, RunbookRun.id, RunbookRun.status) \
            .where(RunbookRun.journal_token.in_(tokens[start:start + 500]))
        found.update({token: (run_id, status) for token, run_id, status in session.execute(query) if token})
    return found


def _fold(entries: list[JournalEntry]) -> tuple[dict[str, UnrecordedRun], list[JournalProblem]]:
    """Each token's run as its entries, in order, leave it."""
    runs: dict[str, UnrecordedRun] = {}
    problems: list[JournalProblem] = []
    for entry in entries:
        run = runs.setdefault(entry.token, UnrecordedRun(entry.token))
        try:
            _apply(run, entry.event, entry.record)
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(JournalProblem(entry.line, f"{entry.event} of run {entry.token} is incomplete "
                                                       f"({type(exc).__name__}: {exc}); ignored"))
    return runs, problems


def _apply(run: UnrecordedRun, event: JournalEvent, record: dict[str, Any]) -> None:
    if event is JournalEvent.RUN_STARTED:
        missing = [key for key in _STARTED_KEYS if key not in record]
        if missing:
            raise KeyError(", ".join(missing))
        datetime.fromisoformat(record["at"])
        run.started = record
    elif event is JournalEvent.RUN_FINISHED:
        run.finished = record
    elif event is JournalEvent.STEP_STARTED:
        position = int(record["position"])
        run.steps[position] = JournalStep(position, str(record["step"]), str(record["action"]),
                                          dict(record["inputs"]), record.get("rollback_action"))
    else:
        step = run.steps[int(record["position"])]
        step.outcome = StepOutcome(record["status"]) if event is not JournalEvent.UNDO_STARTED \
            else StepOutcome.UNDOING
        step.error = record.get("error")
        if event is JournalEvent.STEP_FINISHED:
            step.output, step.undo = dict(record.get("output") or {}), record.get("undo")
            step.reversible, step.rollback_action = bool(record.get("reversible")), record.get("rollback_action")


def unrecorded_run(session: Session, *, settings: Settings, actor: Principal, token: str) -> UnrecordedRun:
    """The unrecorded run named by its token or a unique start of it (at least six characters)."""
    if len(token) < _MIN_PREFIX:
        raise InvalidInput(f"Give at least {_MIN_PREFIX} characters of the run's token.")
    report = find_unrecorded(session, settings=settings, actor=actor)
    matches = [run for run in report.runs if run.token.startswith(token.lower())]
    if len(matches) > 1:
        raise InvalidInput(f"{token!r} starts {len(matches)} tokens: give more of it.")
    if matches:
        return matches[0]
    on_record = session.scalar(select(RunbookRun).where(RunbookRun.journal_token == token.lower()))
    if on_record is not None:
        raise Conflict(f"Run {token} is on the record as run #{on_record.id} ({on_record.status}); there is nothing "
                       "to recover. `deskpilot runbooks rollback` undoes a succeeded run.")
    raise NotFound(f"No unrecorded run {token!r} in the runbook journal {report.journal}; "
                   "`deskpilot runbooks unrecorded` lists them.")
