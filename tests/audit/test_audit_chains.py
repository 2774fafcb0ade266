"""Several audit chains: concurrent commits spread over them instead of queuing, every chain stays gap- and
fork-free, tampering in one chain is named with its chain, and the rows of the one chain before migration 0039
still verify after it."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import JSON, Engine, column, select, table, text
from sqlalchemy.orm import Session

from deskpilot.audit import checkpoints, lanes, redaction
from deskpilot.audit import service as audit
from deskpilot.audit.chain import GENESIS, canonical, sign
from deskpilot.audit.keyring import AuditKeyring
from deskpilot.audit.models import AuditEvent
from deskpilot.db import UtcDateTime, make_engine
from deskpilot.migrations import upgrade
from tests.audit.test_audit_chain import tampering
from tests.conftest import TEST_AUDIT_KEY


@contextmanager
def chains(count: int) -> Iterator[None]:
    previous = lanes.chain_count()
    lanes.use_chains(count)
    try:
        yield
    finally:
        lanes.use_chains(previous)


def _event(session: Session, action: str, subject_id: int = 1) -> None:
    audit.record(session, actor_id=None, actor_name="test", action=action, subject_type="ticket",
                 subject_id=subject_id, after={"n": subject_id})


def _rows(session: Session) -> list[AuditEvent]:
    session.rollback()  # a new transaction: SQLite's snapshot would still show the rows before the tampering
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.chain, AuditEvent.seq)))


def _three_chains(session: Session) -> None:
    """Nine commits sealed into chains 0, 1, 2 in turn (three rows each), as commits that overlap would be."""
    for n in range(9):
        _event(session, "ticket.update", n)
        audit.seal(session, chain=n % 3)
        session.commit()


def _writer(engine: Engine, number: int, commits: int, start: threading.Barrier, errors: list[BaseException]) -> None:
    try:
        start.wait()
        for n in range(commits):
            with Session(engine) as db:
                _event(db, f"writer{number}.first", n)
                _event(db, f"writer{number}.second", n)
                db.commit()
    except BaseException as exc:  # noqa: BLE001 - reported by the test thread
        errors.append(exc)


def test_concurrent_writers_on_postgres_fill_several_chains_without_gaps_or_forks(session: Session,
                                                                                  engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time: there are no concurrent commits to spread")
    writers, commits = 8, 12
    start, errors = threading.Barrier(writers), []
    threads = [threading.Thread(target=_writer, args=(engine, n, commits, start, errors)) for n in range(writers)]
    with chains(4):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    rows = _rows(session)
    assert len(rows) == writers * commits * 2
    by_chain: dict[int, list[AuditEvent]] = {}
    for row in rows:
        by_chain.setdefault(row.chain, []).append(row)
    assert len(by_chain) > 1, "overlapping commits were all sealed into one chain"
    for chain_rows in by_chain.values():
        assert [row.seq for row in chain_rows] == list(range(1, len(chain_rows) + 1)), "a gap in a chain"
        assert [row.prev_hash for row in chain_rows] == [GENESIS] + [row.hash for row in chain_rows[:-1]], "a fork"
        # A transaction's two events are sealed together, next to each other in one chain.
        assert all(a.action.endswith(".first") and b.action == a.action.replace(".first", ".second")
                   for a, b in zip(chain_rows[::2], chain_rows[1::2], strict=True))
    result = audit.verify(session)
    assert result.ok and result.checked == len(rows)


def _advisory_locks(session: Session) -> int:
    return int(session.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                   "AND pid = pg_backend_pid()")) or 0)


def test_a_commit_takes_the_next_chain_while_another_transaction_is_sealing(session: Session,
                                                                            engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time: no transaction seals while another does")
    sealing, second = Session(engine), Session(engine)
    try:
        _event(sealing, "first.sealing")
        assert audit.seal(sealing) == 0
        assert _advisory_locks(sealing) == 1, "a transaction holds exactly one chain"
        second.execute(text("SET lock_timeout = '5s'"))  # waiting for chain 0 would fail, not hang
        _event(second, "second.committed")
        second.commit()
        sealing.commit()
    finally:
        sealing.close()
        second.close()
    placed = {(row.action, row.chain, row.seq) for row in _rows(session)}
    assert placed == {("first.sealing", 0, 1), ("second.committed", 1, 1)}
    assert audit.verify(session).ok


def test_an_edit_in_one_chain_is_named_with_its_chain(session: Session, engine: Engine) -> None:
    _three_chains(session)
    assert audit.verify(session).ok
    with tampering(engine) as connection:
        row_id = connection.execute(text("SELECT id FROM audit_events WHERE chain = 1 AND seq = 2")).scalar_one()
        connection.execute(text("UPDATE audit_events SET actor_name = 'mallory' WHERE id = :i"), {"i": row_id})
    _rows(session)
    result = audit.verify(session)
    assert [(p.chain, p.seq, p.row_id) for p in result.problems] == [(1, 2, row_id)]
    assert "edited" in result.problems[0].problem


def test_a_row_removed_from_one_chain_is_named_and_the_others_still_verify(session: Session,
                                                                           engine: Engine) -> None:
    _three_chains(session)
    with tampering(engine) as connection:
        connection.execute(text("DELETE FROM audit_events WHERE chain = 2 AND seq = 1"))
    _rows(session)
    problems = audit.verify(session).problems
    assert {(p.chain, p.seq) for p in problems} == {(2, 2)}
    assert any("removed" in p.problem for p in problems)


def test_a_row_moved_to_another_chain_is_detected(session: Session, engine: Engine) -> None:
    """Renumbering a row into another chain's place (or another place) breaks its hash: both are covered."""
    _three_chains(session)
    with tampering(engine) as connection:
        connection.execute(text("UPDATE audit_events SET chain = 2, seq = 4 WHERE chain = 1 AND seq = 3"))
    _rows(session)
    problems = audit.verify(session).problems
    assert (2, 4) in {(p.chain, p.seq) for p in problems}
    assert any(p.chain == 2 and "edited" in p.problem for p in problems)


def test_the_checkpoint_anchors_every_chain_and_a_truncated_chain_is_named(
        session: Session, engine: Engine, audit_keyring: AuditKeyring, tmp_path: Path) -> None:
    _three_chains(session)
    checkpoint = checkpoints.take(session, keyring=audit_keyring)
    assert (checkpoint.seq, checkpoint.count) == (3, 3)
    assert {chain: (h.seq, h.count) for chain, h in checkpoint.chains.items()} == {1: (3, 3), 2: (3, 3)}
    assert json.loads(checkpoint.to_json())["chains"]["2"]["count"] == 3
    with tampering(engine) as connection:
        connection.execute(text("DELETE FROM audit_events WHERE chain = 2 AND seq = 3"))
        connection.execute(text("DELETE FROM audit_events WHERE chain = 1"))
    _rows(session)
    problems = audit.verify(session).problems
    assert [(p.chain, "TRUNCATED" in p.problem) for p in problems] == [(1, True), (2, True)]
    assert "chain 1 is empty" in problems[0].problem
    assert "chain 2 ends at seq 2 (2 rows)" in problems[1].problem


def test_a_redacted_row_in_another_chain_verifies_and_cannot_move(session: Session, engine: Engine,
                                                                  audit_keyring: AuditKeyring) -> None:
    _three_chains(session)
    row = session.scalars(select(AuditEvent).where(AuditEvent.chain == 2, AuditEvent.seq == 2)).one()
    original_hash = row.hash
    redaction.allow_redaction(session)
    assert redaction.redact(row, key=audit_keyring.key, reason="erasure of user 7")
    session.commit()
    assert row.hash == original_hash
    assert audit.verify(session).ok
    with tampering(engine) as connection:
        connection.execute(text("UPDATE audit_events SET chain = 1, seq = 4 WHERE id = :i"), {"i": row.id})
    _rows(session)
    assert (1, 4) in {(p.chain, p.seq) for p in audit.verify(session).problems}


# The audit table as migration 0037 left it (no chain column), to write rows as the code before 0039 did.
_TABLE_BEFORE_0039 = table("audit_events", *(column(name) for name in (
    "seq", "actor_id", "actor_name", "action", "subject_type", "subject_id", "before", "prev_hash", "hash")),
    column("at", UtcDateTime()), column("after", JSON()))


def _hash_before_0039(prev_hash: str, seq: int, at: datetime) -> str:
    """The keyed hash as deskpilot computed it before there were several chains, written out independently."""
    content = canonical({"seq": seq, "at": at.isoformat(timespec="microseconds"), "actor_id": None, "actor": "old",
                         "action": "ticket.update", "subject": ["ticket", str(seq)], "before": None,
                         "after": {"n": seq}})
    return hmac.new(TEST_AUDIT_KEY.encode(), (prev_hash + content).encode(), hashlib.sha256).hexdigest()


def _checkpoint_before_0039(keyring: AuditKeyring, seq: int, head: str) -> None:
    fields = {"seq": seq, "head": head, "count": seq, "at": datetime(2026, 11, 30, 10, tzinfo=UTC).isoformat(),
              "key_id": keyring.key_id}
    keyring.directory.mkdir(parents=True, exist_ok=True)
    keyring.checkpoint_path.write_text(json.dumps({**fields, "mac": sign(keyring.key, fields)}) + "\n")


def test_the_one_chain_from_before_migration_0039_is_chain_0_and_still_verifies(
        tmp_path: Path, audit_keyring: AuditKeyring) -> None:
    url = f"sqlite:///{tmp_path / 'before.db'}"
    upgrade(url, "0037")
    engine = make_engine(url)
    try:
        prev = GENESIS
        with engine.begin() as connection:
            for seq in (1, 2, 3):
                at = datetime(2026, 11, 30, 9, seq, tzinfo=UTC)
                row_hash = _hash_before_0039(prev, seq, at)
                connection.execute(_TABLE_BEFORE_0039.insert().values(
                    seq=seq, at=at, actor_id=None, actor_name="old", action="ticket.update", subject_type="ticket",
                    subject_id=str(seq), before=None, after={"n": seq}, prev_hash=prev, hash=row_hash))
                prev = row_hash
        _checkpoint_before_0039(audit_keyring, 3, prev)
        upgrade(url)
        with Session(engine) as db:
            result = audit.verify(db)
            assert result.ok and result.checked == 3
            _event(db, "after.upgrade")
            db.commit()
            rows = list(db.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
            assert [(row.chain, row.seq) for row in rows] == [(0, 1), (0, 2), (0, 3), (0, 4)]
            assert rows[3].prev_hash == prev
            assert audit.verify(db).ok
            checkpoint = checkpoints.take(db, keyring=audit_keyring)
            assert "chains" not in json.loads(checkpoint.to_json()), "a one-chain checkpoint keeps the old format"
        with engine.begin() as connection:
            connection.execute(text("UPDATE audit_events SET actor_name = 'mallory' WHERE seq = 2"))
        with Session(engine) as db:
            assert [(p.chain, p.seq) for p in audit.verify(db).problems] == [(0, 2)]
    finally:
        engine.dispose()
