"""Alembic environment: runs migrations against the URL given in the config."""

from __future__ import annotations

from alembic import context

from deskpilot.db import make_engine
from deskpilot.schema import metadata

config = context.config


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
