"""The audit log is append-only and hash-chained: tampering with the table is detected and named."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from deskpilot.audit import service as audit
from tests.conftest import TEST_AUDIT_KEY
from tests.factories import make_desk, open_ticket


@contextmanager
def tampering(engine: Engine) -> Iterator[Connection]:
    """A transaction of someone with the database owner's rights, who can switch the append-only guard off."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL deskpilot.audit_maintenance = 'on'"))
        yield connection


def cli(database_url: str, data_dir: Path, *args: str, key_in_env: bool = True) -> subprocess.CompletedProcess[str]:
    """`deskpilot ...` in a new process on this worktree's code, with the tests' audit key in the environment
    (or, without `key_in_env`, whatever key DATA_DIR holds)."""
    env = {"DESKPILOT_DATABASE_URL": database_url, "DESKPILOT_DATA_DIR": str(data_dir),
           "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    if key_in_env:
        env["DESKPILOT_AUDIT_KEY"] = TEST_AUDIT_KEY
    return subprocess.run([sys.executable, "-m", "deskpilot.cli", *args], env=env, capture_output=True, text=True,
                          timeout=180)


def _history(session: Session) -> None:
    desk = make_desk(session)
    for i in range(3):
        open_ticket(session, desk, desk.alice, subject=f"Ticket {i}")
    session.commit()


def test_untouched_chain_verifies(session: Session) -> None:
    _history(session)
    result = audit.verify(session)
    assert result.ok and result.checked > 10


def test_edited_row_is_detected_and_named(session: Session, engine: Engine) -> None:
    _history(session)
    with tampering(engine) as connection:
        row_id = connection.execute(text("SELECT id FROM audit_events WHERE seq = 5")).scalar_one()
        connection.execute(text("UPDATE audit_events SET actor_name = 'mallory' WHERE seq = 5"))
    session.expire_all()
    result = audit.verify(session)
    assert not result.ok
    assert [(p.row_id, p.seq) for p in result.problems] == [(row_id, 5)]
    assert "edited" in result.problems[0].problem


def test_removed_row_is_detected(session: Session, engine: Engine) -> None:
    _history(session)
    with tampering(engine) as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq = 4"))
    session.expire_all()
    result = audit.verify(session)
    assert not result.ok
    assert {p.seq for p in result.problems} == {5}
    assert any("removed" in p.problem for p in result.problems)


def test_reordered_rows_are_detected(session: Session, engine: Engine) -> None:
    _history(session)
    with tampering(engine) as connection:
        connection.execute(text("UPDATE audit_events SET seq = -1 WHERE seq = 3"))
        connection.execute(text("UPDATE audit_events SET seq = 3 WHERE seq = 6"))
        connection.execute(text("UPDATE audit_events SET seq = 6 WHERE seq = -1"))
    session.expire_all()
    result = audit.verify(session)
    assert not result.ok
    assert {p.seq for p in result.problems} >= {3, 6}


def test_cli_verify_exits_nonzero_and_names_the_row(session: Session, engine: Engine, database_url: str,
                                                    tmp_path: Path) -> None:
    _history(session)
    ok = cli(database_url, tmp_path, "audit", "verify")
    assert ok.returncode == 0, ok.stderr
    assert "intact" in ok.stdout
    with tampering(engine) as connection:
        row_id = connection.execute(text("SELECT id FROM audit_events WHERE seq = 2")).scalar_one()
        connection.execute(text("UPDATE audit_events SET action = 'user.delete' WHERE seq = 2"))
    broken = cli(database_url, tmp_path, "audit", "verify")
    assert broken.returncode == 1
    assert f"row id {row_id} (seq 2)" in broken.stderr


def _event(session: Session, action: str) -> None:
    audit.record(session, actor_id=None, actor_name="test", action=action, subject_type="test", subject_id=1)


def test_concurrent_transactions_chain_in_commit_order(session: Session, engine: Engine) -> None:
    """Events join the chain at commit, so a long transaction never holds the chain lock while it works."""
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite lets one writer in at a time: there are no concurrent writing transactions")
    first, second = Session(engine), Session(engine)
    try:
        _event(first, "first.started")
        _event(second, "second.started")
        _event(second, "second.finished")
        second.commit()
        _event(first, "first.finished")
        first.commit()
    finally:
        first.close()
        second.close()
    session.expire_all()
    result = audit.verify(session)
    assert result.ok and result.checked == 4
    events, _ = audit.get_all(session)
    assert [e.action for e in sorted(events, key=lambda e: e.seq)] == [
        "second.started", "second.finished", "first.started", "first.finished"]


def test_an_event_in_a_rolled_back_savepoint_never_joins_the_chain(session: Session) -> None:
    _event(session, "kept")
    try:
        with session.begin_nested():
            _event(session, "undone")
            raise RuntimeError("the step failed")
    except RuntimeError:
        pass
    session.commit()
    events, total = audit.get_all(session)
    assert total == 1 and events[0].action == "kept" and events[0].seq == 1
    assert audit.verify(session).ok
