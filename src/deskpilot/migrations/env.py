"""Alembic environment: runs migrations against the URL given in the config."""

from __future__ import annotations

from typing import Any

from alembic import context

from deskpilot.db import make_engine
from deskpilot.schema import metadata

config = context.config


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration copies a table and drops the old one; with rows referring to it and foreign keys
            # enforced, SQLite refuses the drop. Off for the migration (outside any transaction, as SQLite
            # requires), and checked whole at the end instead.
            raw: Any = connection.connection.dbapi_connection
            raw.execute("PRAGMA foreign_keys=OFF")  # the driver's autocommit: SQLAlchemy would open a BEGIN first
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            broken = raw.execute("PRAGMA foreign_key_check").fetchall()
            raw.execute("PRAGMA foreign_keys=ON")
            if broken:
                raise RuntimeError(f"the migration left rows referring to missing ones: {broken[:5]}")
    engine.dispose()


run_migrations_online()
