"""Whether the app processes of one `deskpilot serve --workers N` fit in the database's connections.

Each process may open `DESKPILOT_DB_POOL_SIZE + DESKPILOT_DB_MAX_OVERFLOW` connections. When N of them can ask
PostgreSQL for more than its `max_connections` (less the slots kept for superusers), a burst of requests is
answered "too many clients" and each such request fails with a 503, while the pools sit below their limits.
`deskpilot serve` refuses such a layout at start instead, and says which settings to change.
"""

from __future__ import annotations

from sqlalchemy import text

from deskpilot.config import Settings
from deskpilot.db import make_engine
from deskpilot.errors import InvalidInput


def server_slots(url: str) -> int:
    """Connections the PostgreSQL server of `url` lets ordinary clients open: max_connections less the reserved."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as connection:
            limit = int(connection.execute(text("SHOW max_connections")).scalar_one())
            reserved = int(connection.execute(text("SHOW superuser_reserved_connections")).scalar_one())
    finally:
        engine.dispose()
    return limit - reserved


def check(settings: Settings, *, processes: int) -> None:
    """InvalidInput when `processes` app processes with these pool settings could exceed the server's slots."""
    url = settings.resolved_database_url
    if not url.startswith("postgresql"):
        return
    per_process = settings.db_pool_size + settings.db_max_overflow
    slots = server_slots(url)
    if processes * per_process > slots:
        raise InvalidInput(
            f"{processes} app process(es) × {per_process} connections each (DESKPILOT_DB_POOL_SIZE "
            f"{settings.db_pool_size} + DESKPILOT_DB_MAX_OVERFLOW {settings.db_max_overflow}) could ask the database "
            f"for {processes * per_process}, more than the {slots} it accepts (max_connections less the superuser "
            "slots), beside the worker's and the mail listener's. Lower the pool settings (and "
            "DESKPILOT_HTTP_CONCURRENCY below them), run fewer processes, or raise max_connections.")
