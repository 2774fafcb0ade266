"""The migrations build exactly the tables the models declare, on SQLite and PostgreSQL, and the latest
revision can be undone and redone."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from deskpilot.db import make_engine
from deskpilot.migrations import alembic_config, upgrade
from deskpilot.schema import metadata


def test_a_database_at_head_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    assert differences == [], "the models changed without a migration (or the reverse)"


def test_the_latest_revision_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrations.db'}"
    config = alembic_config(url)
    head = ScriptDirectory.from_config(config).get_current_head()
    upgrade(url)
    command.downgrade(config, "-1")
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert context.get_current_revision() == head
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()
