"""The runbook journal file itself: private, durable lines that never interleave, and a torn line that
hides nothing."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import threading
from pathlib import Path

from deskpilot.runbooks.journal import JournalEvent, JournalRun, RunJournal
from deskpilot.runbooks.parameters import MASK

WRITER = """
import sys
from pathlib import Path
from deskpilot.runbooks.journal import JournalEvent, RunJournal
journal = RunJournal(Path(sys.argv[1]))
for n in range(int(sys.argv[3])):
    journal.append(JournalEvent.STEP_STARTED, token=sys.argv[2], position=n, padding="x" * 3000)
"""


def test_the_journal_is_created_private_in_its_own_directory(tmp_path: Path) -> None:
    journal = RunJournal(tmp_path / "var" / "runbooks" / "journal.jsonl")
    journal.append(JournalEvent.RUN_STARTED, token="a" * 32, runbook="group-add")
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(journal.path.parent.stat().st_mode) == 0o700
    [entry] = journal.read().entries
    assert (entry.token, entry.event, entry.record["runbook"]) == ("a" * 32, JournalEvent.RUN_STARTED, "group-add")


def test_lines_from_many_threads_and_processes_never_interleave(tmp_path: Path) -> None:
    journal = RunJournal(tmp_path / "journal.jsonl")
    processes = [subprocess.Popen([sys.executable, "-c", WRITER, str(journal.path), f"process-{n}", "150"])
                 for n in range(2)]

    def write(token: str) -> None:
        for n in range(150):
            journal.append(JournalEvent.STEP_STARTED, token=token, position=n, padding="y" * 3000)

    threads = [threading.Thread(target=write, args=(f"thread-{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(process.wait(timeout=120) == 0 for process in processes)
    reading = journal.read()
    assert reading.problems == []
    by_token: dict[str, list[int]] = {}
    for entry in reading.entries:
        by_token.setdefault(entry.token, []).append(entry.record["position"])
    assert {token: sorted(positions) for token, positions in by_token.items()} == {
        token: list(range(150)) for token in ("process-0", "process-1", "thread-0", "thread-1", "thread-2")}


def test_a_line_cut_short_is_reported_and_hides_neither_earlier_nor_later_entries(tmp_path: Path) -> None:
    journal = RunJournal(tmp_path / "journal.jsonl")
    journal.append(JournalEvent.RUN_STARTED, token="first")
    with journal.path.open("ab") as file:
        file.write(b'{"event": "step.started", "token": "first", "posi')  # the process died mid-write
    reading = journal.read()
    assert [e.token for e in reading.entries] == ["first"]
    [problem] = reading.problems
    assert problem.line == 2 and "cut short" in problem.message

    journal.append(JournalEvent.RUN_STARTED, token="second")
    reading = journal.read()
    assert [e.token for e in reading.entries] == ["first", "second"]
    [problem] = reading.problems
    assert problem.line == 2 and "not valid JSON" in problem.message


def test_a_journaled_run_scrubs_its_secret_values_wherever_they_appear(tmp_path: Path) -> None:
    journal = RunJournal(tmp_path / "journal.jsonl")
    JournalRun(journal, "t" * 32, ["Hunter-2-Secret"]).write(
        JournalEvent.STEP_FINISHED, position=0, output={"message": "set to Hunter-2-Secret"}, error=None)
    text = journal.path.read_text()
    assert "Hunter-2-Secret" not in text and MASK in text


def test_an_erasure_rewrites_every_entry_naming_the_person_and_loses_no_line_appended_meanwhile(
        tmp_path: Path) -> None:
    journal = RunJournal(tmp_path / "journal.jsonl")
    journal.append(JournalEvent.STEP_STARTED, token="run-a", inputs={"user": "alice", "note": "Zoë Quill called"})
    journal.path.write_bytes(journal.path.read_bytes() + b'{"cut short by Zo\xc3\xab Quill\n')
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(journal.path), "appender", "200"])
    rewritten = 0
    while writer.poll() is None or rewritten == 0:
        rewritten += journal.rewrite(lambda record: json.loads(json.dumps(record).replace("Zo\\u00eb", "[erased]")),
                                     change_text=lambda text: text.replace("Zoë", "[erased]"))
    assert writer.wait(timeout=120) == 0
    text = journal.path.read_text(encoding="utf-8")
    assert "Zo" not in text and text.count("[erased] Quill") == 2 and rewritten == 2
    appended = [entry.record["position"] for entry in journal.read().entries if entry.token == "appender"]
    assert sorted(appended) == list(range(200))
    assert journal.rewrite(lambda record: record, change_text=str, apply=False) == 0
