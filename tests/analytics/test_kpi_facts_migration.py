"""Migration 0010 computes, for rows that existed before it, the same facts the services keep on write.

Each test gets its own database (it migrates down and up), with the hand-computed history of conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.orm import Session

from deskpilot.db import make_engine, session_factory
from deskpilot.migrations import alembic_config
from tests.analytics.conftest import History
from tests.analytics.test_kpi_arithmetic import _report
from tests.conftest import migrated_database

FACTS = ("SELECT id, agent_replies, paused_seconds, intake_triage_id, intake_category, intake_queue_id, "
         "intake_priority, intake_abstained FROM tickets ORDER BY id")


@pytest.fixture(params=["sqlite", "postgresql"])
def own_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from migrated_database(request.param, tmp_path)


@pytest.fixture
def session(own_database: str) -> Iterator[Session]:
    engine = make_engine(own_database)
    with session_factory(engine)() as db:
        yield db
    engine.dispose()


def _rows(session: Session, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(round(v, 2) if isinstance(v, float) else v for v in row) for row in session.execute(text(sql))]


def test_migration_0010_recomputes_the_facts_kept_on_write(session: Session, history: History,
                                                           own_database: str) -> None:
    kept = _rows(session, FACTS)
    categories = _rows(session, "SELECT id, category FROM ai_decisions ORDER BY id")
    kinds = _rows(session, "SELECT id, decision_kind FROM ai_feedback ORDER BY id")
    figures = {k.key: k.value for k in _report(session).figures}
    assert [row[1:3] for row in kept if row[0] == history.t2.id] == [(2, 4 * 3600.0)]
    session.close()
    command.downgrade(alembic_config(own_database), "0009")
    command.upgrade(alembic_config(own_database), "0010")
    assert _rows(session, FACTS) == kept
    assert _rows(session, "SELECT id, category FROM ai_decisions ORDER BY id") == categories
    assert _rows(session, "SELECT id, decision_kind FROM ai_feedback ORDER BY id") == kinds
    # The report reads tables of later revisions too (help-centre feedback, 0019); they leave the facts alone.
    session.close()
    command.upgrade(alembic_config(own_database), "head")
    assert {k.key: k.value for k in _report(session).figures} == pytest.approx(figures)
