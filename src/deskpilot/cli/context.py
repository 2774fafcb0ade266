"""What every command needs: settings, the database, one unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import ValidationError
from sqlalchemy.orm import Session

from deskpilot.accounts.passwords import configure_hasher
from deskpilot.audit.keyring import configure_audit
from deskpilot.config import Settings
from deskpilot.db import make_engine, session_factory, unit_of_work
from deskpilot.errors import InvalidInput
from deskpilot.sealed_storage import configure_sealing


def load_settings() -> Settings:
    """The settings, or a clear error naming the bad variable."""
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(f"DESKPILOT_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}"
                             for e in exc.errors())
        raise InvalidInput(f"invalid configuration: {problems}") from exc
    configure_hasher(time_cost=settings.password_time_cost, memory_kib=settings.password_memory_kib)
    configure_audit(settings)
    configure_sealing(settings)
    return settings


@contextmanager
def database(settings: Settings) -> Iterator[Session]:
    """One transaction against the configured database, committed when the command succeeds."""
    engine = make_engine(settings.resolved_database_url)
    try:
        with unit_of_work(session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()
