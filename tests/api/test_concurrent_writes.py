"""The embedded default (SQLite) and PostgreSQL serve many writers at once without a single failed request."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.tickets.models import Ticket
from tests.api.conftest import Clients

CLIENTS = 16
TICKETS_EACH = 8


def test_sixteen_clients_creating_tickets_at_once_all_succeed(clients: Clients, session: Session) -> None:
    names = ["alice", "bob"] * (CLIENTS // 2)

    def create(worker: int) -> list[int]:
        client = clients[names[worker]]
        return [client.post("/api/v1/tickets", json={"subject": f"printer {worker}-{n} jams"}).status_code
                for n in range(TICKETS_EACH)]

    with ThreadPoolExecutor(CLIENTS) as pool:
        codes = [code for batch in pool.map(create, range(CLIENTS)) for code in batch]
    session.rollback()
    assert codes == [201] * (CLIENTS * TICKETS_EACH)
    assert session.scalar(select(func.count()).select_from(Ticket)) == CLIENTS * TICKETS_EACH


def test_the_concurrent_writes_benchmark_reports_no_errors_at_a_small_size(database_url: str,
                                                                           session: Session) -> None:
    del session  # an emptied database for the benchmark's own users
    root = Path(__file__).resolve().parents[2]
    finished = subprocess.run(
        [sys.executable, str(root / "benchmarks" / "concurrent_writes.py"), "--clients", "4", "--writes", "3",
         "--no-demo", "--database-url", database_url],
        capture_output=True, text=True, timeout=600, env=os.environ | {"PYTHONPATH": str(root / "src")})
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
    assert "| ticket creation | 12 | 0 |" in finished.stdout and "| chat turn | 12 | 0 |" in finished.stdout
