"""The embedded default (SQLite) and PostgreSQL serve many writers at once without a single failed request."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

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
