"""The embedded default (SQLite) and PostgreSQL serve many writers at once without a single failed request."""

from __future__ import annotations

import importlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.tickets import requester_limits
from deskpilot.tickets.models import Ticket
from tests.api.conftest import Clients
from tests.factories import Desk

CLIENTS = 16
TICKETS_EACH = 8


def test_sixteen_clients_creating_tickets_at_once_all_succeed(clients: Clients, session: Session,
                                                              desk: Desk) -> None:
    names = ["alice", "bob"] * (CLIENTS // 2)
    # 64 tickets each within a minute is past the hourly limit of one person: a lead lifts it for the test.
    for requester in (desk.alice, desk.bob):
        requester_limits.lift(session, actor=Principal.of(desk.lena), requester_id=requester.id, hours=1,
                              reason="load test")
    session.commit()

    def create(worker: int) -> list[int]:
        client = clients[names[worker]]
        return [client.post("/api/v1/tickets", json={"subject": f"printer {worker}-{n} jams"}).status_code
                for n in range(TICKETS_EACH)]

    with ThreadPoolExecutor(CLIENTS) as pool:
        codes = [code for batch in pool.map(create, range(CLIENTS)) for code in batch]
    session.rollback()
    assert codes == [201] * (CLIENTS * TICKETS_EACH)
    assert session.scalar(select(func.count()).select_from(Ticket)) == CLIENTS * TICKETS_EACH


def test_the_concurrent_writes_benchmark_reports_no_errors_at_a_small_size(
        clients: Clients, live_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "benchmarks"))
    benchmark = importlib.import_module("concurrent_writes")
    tokens = [str(clients[name].headers["Authorization"]).removeprefix("Bearer ") for name in ("alice", "bob") * 2]
    results, wall = benchmark.drive(live_server, tokens, 3)
    assert benchmark.report("test", results, wall) == 0
    assert [len(results.latency_ms[name]) for name in benchmark.OPERATIONS] == [12, 12]
