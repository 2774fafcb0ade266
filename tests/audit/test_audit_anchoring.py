"""The keyed chain and its signed checkpoints catch what a plain hash chain cannot: rows removed from the end,
an emptied table, and edits whose later hashes were recomputed by someone without the key."""

from __future__ import annotations

import hashlib
import json
import stat
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from deskpilot.audit import checkpoints
from deskpilot.audit import service as audit
from deskpilot.audit.chain import GENESIS, KEYED_MARKER, legacy_row_hash, row_hash
from deskpilot.audit.keyring import AuditKeyring, load_keyring
from deskpilot.audit.models import AuditEvent
from deskpilot.clock import utcnow
from deskpilot.config import Environment, Settings
from deskpilot.errors import Conflict
from tests.audit.test_audit_chain import cli, tampering
from tests.factories import make_desk, open_ticket


def _history(session: Session, tickets: int = 3) -> None:
    desk = make_desk(session)
    for i in range(tickets):
        open_ticket(session, desk, desk.alice, subject=f"Ticket {i}")
    session.commit()


def _count(session: Session) -> int:
    return len(session.scalars(select(AuditEvent.id)).all())


def _problems(session: Session) -> list[str]:
    session.rollback()  # a new transaction: SQLite's snapshot would still show the rows before the tampering
    return [p.problem for p in audit.verify(session).problems]


def test_deleting_the_newest_rows_is_reported_as_truncation_against_the_checkpoint(
        session: Session, engine: Engine, audit_keyring: AuditKeyring) -> None:
    _history(session)
    checkpoint = checkpoints.take(session, keyring=audit_keyring)
    assert audit.verify(session).ok
    with tampering(engine) as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq > :s"), {"s": checkpoint.seq - 3})
    problems = _problems(session)
    assert len(problems) == 1 and "TRUNCATED" in problems[0]
    assert f"up to seq {checkpoint.seq}" in problems[0] and f"ends at seq {checkpoint.seq - 3}" in problems[0]


def test_emptying_the_table_is_reported_against_the_checkpoint(session: Session, engine: Engine,
                                                               audit_keyring: AuditKeyring) -> None:
    _history(session)
    checkpoints.take(session, keyring=audit_keyring)
    with tampering(engine) as connection:
        connection.execute(text("DELETE FROM audit_events"))
    problems = _problems(session)
    assert len(problems) == 1 and "the table is empty" in problems[0] and "TRUNCATED" in problems[0]


def _rewrite_from(engine: Engine, seq: int, rehash: Callable[..., str]) -> None:
    """Edit the row at `seq` and recompute its hash and every later one with `rehash`, as a tamperer would."""
    with tampering(engine) as connection:
        connection.execute(text("UPDATE audit_events SET actor_name = 'mallory' WHERE seq = :s"), {"s": seq})
    with Session(engine) as db, tampering(engine) as connection:
        prev = GENESIS
        for row in db.scalars(select(AuditEvent).where(AuditEvent.seq > 0).order_by(AuditEvent.seq)).all():
            if row.seq < seq:
                prev = row.hash
                continue
            fields = {"prev_hash": prev, "seq": row.seq, "at": row.at, "actor_id": row.actor_id,
                      "actor_name": row.actor_name, "action": row.action, "subject_type": row.subject_type,
                      "subject_id": row.subject_id, "before": row.before, "after": row.after}
            new_hash = rehash(**fields)
            connection.execute(text("UPDATE audit_events SET prev_hash = :p, hash = :h WHERE id = :i"),
                               {"p": prev, "h": new_hash, "i": row.id})
            prev = new_hash


def _guessed_key(**fields: Any) -> str:
    return row_hash(key=b"guessed-key-" * 4, **fields)


@pytest.mark.parametrize("rehash", [legacy_row_hash, _guessed_key], ids=["sha256", "another-key"])
def test_an_edit_with_recomputed_later_hashes_is_detected_without_the_key(session: Session, engine: Engine,
                                                                          rehash: Callable[..., str]) -> None:
    _history(session)
    _rewrite_from(engine, 5, rehash)
    session.rollback()
    result = audit.verify(session)
    assert not result.ok
    assert result.problems[0].seq == 5
    assert all("without the audit key" in p.problem for p in result.problems)


def test_rewriting_the_whole_chain_with_unkeyed_hashes_is_detected(session: Session, engine: Engine) -> None:
    _history(session)
    _rewrite_from(engine, 1, legacy_row_hash)
    assert any("rewritten without the audit key" in p for p in _problems(session))


def test_a_rewrite_before_a_checkpoint_differs_from_it(session: Session, engine: Engine,
                                                       audit_keyring: AuditKeyring) -> None:
    _history(session)
    checkpoint = checkpoints.take(session, keyring=audit_keyring)
    _rewrite_from(engine, 2, partial(row_hash, key=audit_keyring.key))  # even by someone holding the key
    assert any(f"checkpoint of {checkpoint.at.isoformat()}" in p and "rewritten" in p for p in _problems(session))


def test_a_forged_checkpoint_is_reported(session: Session, audit_keyring: AuditKeyring) -> None:
    _history(session)
    checkpoint = checkpoints.take(session, keyring=audit_keyring)
    forged = {**json.loads(checkpoint.to_json()), "seq": checkpoint.seq + 50, "count": checkpoint.count + 50}
    with open(audit_keyring.checkpoint_path, "a", encoding="utf-8") as out:
        out.write(json.dumps(forged) + "\n")
    problems = _problems(session)
    assert problems == ["checkpoint line 2 does not match its signature (forged or edited)"]


def test_a_checkpoint_refuses_to_anchor_an_edited_head(session: Session, engine: Engine,
                                                       audit_keyring: AuditKeyring) -> None:
    _history(session)
    with tampering(engine) as connection:
        connection.execute(text("UPDATE audit_events SET action = 'x' WHERE seq = (SELECT max(seq) FROM "
                                "audit_events)"))
    session.rollback()
    with pytest.raises(Conflict, match="does not verify"):
        checkpoints.take(session, keyring=audit_keyring)
    assert not audit_keyring.checkpoint_path.exists()


def _legacy_rows(session: Session, count: int) -> None:
    """Rows as the chain sealed them before it was keyed (migration 0013)."""
    prev = GENESIS
    for seq in range(1, count + 1):
        fields = {"seq": seq, "at": utcnow(), "actor_id": None, "actor_name": "old", "action": "ticket.create",
                  "subject_type": "ticket", "subject_id": str(seq), "before": None, "after": {"n": seq}}
        row = AuditEvent(**fields, prev_hash=prev, hash=legacy_row_hash(prev_hash=prev, **fields))
        session.add(row)
        prev = row.hash
    session.commit()


def test_unkeyed_rows_from_before_the_key_verify_only_behind_the_keyed_marker(session: Session,
                                                                              engine: Engine) -> None:
    _legacy_rows(session, 4)
    assert any("no keyed row vouches" in p for p in _problems(session))
    assert audit.key_legacy_chain(session)
    audit.record(session, actor_id=None, actor_name="test", action="after.upgrade", subject_type="t",
                 subject_id=1)
    session.commit()
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    assert [e.action for e in events[4:]] == [KEYED_MARKER, "after.upgrade"]
    assert events[4].after == {"legacy_rows": 4}
    assert audit.verify(session).ok
    _rewrite_from(engine, 2, legacy_row_hash)  # rewrite the unkeyed part, unkeyed hashes all the way
    assert any("without the audit key" in p for p in _problems(session))


def test_postgres_refuses_update_delete_and_truncate_of_sealed_audit_rows(session: Session,
                                                                          engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's (SQLite has no session settings to bypass it)")
    _history(session, tickets=1)
    for statement in ("UPDATE audit_events SET actor_name = 'mallory' WHERE seq = 1",
                      "DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)",
                      "TRUNCATE audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    session.rollback()
    assert audit.verify(session).ok and _count(session) > 1


def test_the_audit_key_file_is_created_private_on_first_use(tmp_path: Path) -> None:
    settings = Settings(environment=Environment.TEST, data_dir=tmp_path)
    first = load_keyring(settings)
    key_file = tmp_path / "audit" / "key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_keyring(settings).key == first.key and len(first.key) == 64
    assert first.key_id == hashlib.sha256(b"deskpilot-audit-key-id:" + first.key).hexdigest()[:16]


def test_cli_checkpoint_then_deleting_the_newest_rows_makes_verify_exit_nonzero(
        session: Session, engine: Engine, database_url: str, tmp_path: Path) -> None:
    _history(session)
    made = cli(database_url, tmp_path, "audit", "checkpoint")
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "audit" / "checkpoints.jsonl").read_text().count("\n") == 1
    with tampering(engine) as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)"))
    broken = cli(database_url, tmp_path, "audit", "verify")
    assert broken.returncode == 1
    assert "TRUNCATED" in broken.stderr and "audit chain BROKEN" in broken.stderr
