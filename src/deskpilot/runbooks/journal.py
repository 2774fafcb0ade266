"""The runbook journal: a write-ahead record of what runs are about to change outside the database.

A run's rows and audit events commit with the caller's transaction, but its actions change the directory
(or call a web service) at once. So each such change is announced here first, in an append-only JSON-lines
file outside the database (`Settings.runbook_journal_path`) that is on disk before the action runs; if the
transaction is then lost (a crash, a failed commit, a killed request), `runbooks.recovery` still finds the
change by the run's token.

Each event is one line written by a single `write` on a descriptor opened with O_APPEND, so lines of
several processes never interleave, under a lock for the threads of one process, then fsync'd. Nothing
secret is written: callers pass masked inputs and outputs, and `JournalRun` also scrubs every record of
the run's secret values.

Appends hold a shared `flock` on the journal's lock file beside it; `rewrite` (the erasure of a person, who may be
named in a run's inputs and outputs) holds it exclusively while it swaps in the rewritten file, so no
line another process appends meanwhile is lost.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.errors import ProviderError
from deskpilot.runbooks.models import RunbookRunStep
from deskpilot.runbooks.parameters import scrub

log = logging.getLogger(__name__)
_WRITING = threading.Lock()


class JournalEvent(StrEnum):
    RUN_STARTED = "run.started"
    STEP_STARTED = "step.started"
    STEP_FINISHED = "step.finished"
    UNDO_STARTED = "undo.started"
    UNDO_FINISHED = "undo.finished"
    RUN_FINISHED = "run.finished"


@dataclass(frozen=True)
class JournalProblem:
    """A line that could not be read; the other lines are read all the same."""

    line: int
    message: str


@dataclass(frozen=True)
class JournalEntry:
    line: int
    token: str
    event: JournalEvent
    record: dict[str, Any]


@dataclass(frozen=True)
class JournalReading:
    entries: list[JournalEntry]
    problems: list[JournalProblem]


class RunJournal:
    """The journal file: `append` events durably, `read` them all back."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def of(cls, settings: Settings) -> RunJournal:
        return cls(settings.runbook_journal_path)

    def append(self, event: JournalEvent, *, token: str, **fields: Any) -> None:
        """Write one event and return only once it is on disk; ProviderError when it cannot be written."""
        record = {**fields, "at": utcnow().isoformat(), "event": str(event), "token": token}
        line = encode_record(record) + b"\n"
        try:
            with _WRITING:
                self._write(line)
        except OSError as exc:
            raise ProviderError(f"Could not write the runbook journal {self.path}: {exc.strerror or exc}. Nothing "
                                "was changed by this step; fix the data directory and run it again.",
                                retryable=True) from exc

    @contextmanager
    def _locked(self, operation: int) -> Iterator[None]:
        # A lock file of its own, opened for writing: NFS emulates flock with byte-range locks, which need that.
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock = os.open(self.path.with_name(f".{self.path.name}.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(lock, operation)
            yield
        finally:
            os.close(lock)

    def _write(self, line: bytes) -> None:
        with self._locked(fcntl.LOCK_SH):
            self._append(line)

    def _append(self, line: bytes) -> None:
        created = not self.path.exists()
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                # A line cut short by a crash is closed first, so it cannot swallow this one.
                line = b"\n" + line
            written = os.write(fd, line)
            if written != len(line):
                raise OSError(errno.EIO, f"short write ({written} of {len(line)} bytes)")
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            # The new file's directory entry must survive a crash too.
            self._sync_directory()

    def _sync_directory(self) -> None:
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def rewrite(self, change: Callable[[dict[str, Any]], dict[str, Any]], *,
                change_text: Callable[[str], str], apply: bool = True) -> int:
        """Rewrite every entry with `change` (and every unreadable line with `change_text`), swapped in whole
        while appends wait; the count of lines that change. Entries keep their order and line numbers. Without
        `apply` only the count: nothing is written."""
        if not self.path.exists():
            return 0
        with self._locked(fcntl.LOCK_EX if apply else fcntl.LOCK_SH):
            lines = self.path.read_bytes().split(b"\n")
            rewritten = [_rewritten_line(raw, change, change_text) for raw in lines]
            changed = sum(1 for old, new in zip(lines, rewritten, strict=True) if old != new)
            if changed and apply:
                partial = self.path.with_name(f".{self.path.name}.rewriting-{os.getpid()}")
                fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
                try:
                    os.write(fd, b"\n".join(rewritten))
                    os.fsync(fd)
                finally:
                    os.close(fd)
                partial.replace(self.path)
                self._sync_directory()
        return changed

    def read(self) -> JournalReading:
        """Every readable entry in order, and the lines that are not (a write cut short, an edit)."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return JournalReading([], [])
        lines = data.split(b"\n")
        entries: list[JournalEntry] = []
        problems: list[JournalProblem] = []
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError:
                cut = number == len(lines)  # the file does not end with a newline after it
                problems.append(JournalProblem(number, "cut short (the process stopped while writing it?)" if cut
                                               else "not valid JSON (a write cut short by a crash, or an edit?)"))
                continue
            if not isinstance(record, dict) or not isinstance(record.get("token"), str) \
                    or record.get("event") not in set(JournalEvent):
                problems.append(JournalProblem(number, "not a journal entry (no token or an unknown event)"))
                continue
            entries.append(JournalEntry(number, record["token"], JournalEvent(record["event"]), record))
        return JournalReading(entries, problems)


def encode_record(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, default=str).encode()


def _rewritten_line(raw: bytes, change: Callable[[dict[str, Any]], dict[str, Any]],
                    change_text: Callable[[str], str]) -> bytes:
    if not raw.strip():
        return raw
    try:
        record = json.loads(raw)
    except ValueError:
        return change_text(raw.decode("utf-8", errors="replace")).encode()
    if not isinstance(record, dict):
        return change_text(raw.decode("utf-8", errors="replace")).encode()
    changed = change(record)
    return raw if changed == record else encode_record(changed)


@dataclass(frozen=True)
class JournalRun:
    """The entries of one execution, each scrubbed of the run's secret values before it is written.

    `write` is for entries before a change: if it fails, the change must not be made. `note` is for
    entries after one: the change is done and the run's rows record it, so a failure is logged, and the
    earlier "started" entry still shows the change if those rows are lost too.
    """

    journal: RunJournal
    token: str
    secrets: Sequence[str] = ()

    def write(self, event: JournalEvent, **fields: Any) -> None:
        self.journal.append(event, token=self.token, **scrub(fields, self.secrets))

    def note(self, event: JournalEvent, **fields: Any) -> None:
        try:
            self.write(event, **fields)
        except ProviderError as exc:
            log.error("runbook run %s: %s not journaled: %s", self.token, event, exc.message)

    def step_started(self, step: RunbookRunStep) -> None:
        self.write(JournalEvent.STEP_STARTED, position=step.position, step=step.step_id, action=step.action,
                   inputs=step.inputs, rollback_action=step.rollback_action)

    def step_finished(self, step: RunbookRunStep) -> None:
        self.note(JournalEvent.STEP_FINISHED, position=step.position, step=step.step_id, status=step.status,
                  output=step.output, undo=step.undo, rollback_action=step.rollback_action,
                  reversible=step.reversible, error=step.error)

    def undo_started(self, step: RunbookRunStep) -> None:
        # An undo puts back the state from before the run and may be repeated harmlessly (actions are
        # idempotent), so it goes ahead even when this entry cannot be written.
        self.note(JournalEvent.UNDO_STARTED, position=step.position, step=step.step_id,
                  action=step.rollback_action, inputs=step.undo)

    def undo_finished(self, step: RunbookRunStep) -> None:
        self.note(JournalEvent.UNDO_FINISHED, position=step.position, step=step.step_id, status=step.status,
                  error=step.error)
