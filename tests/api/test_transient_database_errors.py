"""A database that is briefly unavailable answers a retryable 503, and no error answer drops the connection."""

from __future__ import annotations

import http.client
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from deskpilot.api.app import create_app
from deskpilot.db import is_transient
from deskpilot.errors import ProviderError
from deskpilot.tickets.models import Ticket
from tests.api.conftest import Clients
from tests.live_server import server_settings


def _connection(base_url: str) -> http.client.HTTPConnection:
    parts = urlsplit(base_url)
    return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)


def _call(connection: http.client.HTTPConnection, method: str, path: str, token: str,
          body: dict[str, object] | None = None) -> tuple[int, dict[str, str], dict[str, object]]:
    headers = {"Authorization": token, "Content-Type": "application/json"}
    connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), json.loads(response.read())


def _terminate_backend_waiting_for_a_lock(engine: Engine) -> None:
    deadline = time.monotonic() + 20
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as admin:
        while time.monotonic() < deadline:
            ended = admin.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                                       "datname = current_database() AND wait_event_type = 'Lock'")).all()
            if ended:
                return
            time.sleep(0.05)
    raise AssertionError("no request came to wait for the locked ticket")


def test_a_terminated_database_backend_answers_a_retryable_503_on_a_connection_that_stays_open(
        clients: Clients, session: Session, engine: Engine, live_server: str) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    token = str(clients["adam"].headers["Authorization"])
    ticket_id = clients["alice"].post("/api/v1/tickets", json={"subject": "screen flickers"}).json()["id"]
    session.scalar(select(Ticket).where(Ticket.id == ticket_id).with_for_update())
    connection = _connection(live_server)
    answer: Future[tuple[int, dict[str, str], dict[str, object]]] = Future()
    worker = threading.Thread(target=lambda: answer.set_result(_call(
        connection, "PATCH", f"/api/v1/tickets/{ticket_id}", token, {"subject": "screen flickers a lot"})))
    worker.start()
    _terminate_backend_waiting_for_a_lock(engine)
    status, headers, body = answer.result(timeout=30)
    session.rollback()
    assert (status, body["error"], body["retryable"]) == (503, "database_unavailable", True)
    assert headers["retry-after"] == "1"
    socket_before = connection.sock
    again, _, ticket = _call(connection, "GET", f"/api/v1/tickets/{ticket_id}", token)
    assert (again, ticket["subject"], connection.sock) == (200, "screen flickers", socket_before)


@pytest.fixture
def failing_server(database_url: str, tmp_path: Path) -> Iterator[str]:
    """The real app with extra routes that fail (a bug, a retryable and a lasting provider error), served by uvicorn
    on loopback."""
    app = create_app(server_settings(database_url, tmp_path))

    def explode() -> None:
        raise RuntimeError("a bug")

    def busy() -> None:
        raise ProviderError("The database is busy; try again in a moment.", retryable=True)

    def broken_model() -> None:
        raise ProviderError("The model file is corrupt.")

    app.add_api_route("/api/v1/explode", explode)
    app.add_api_route("/api/v1/busy", busy)
    app.add_api_route("/api/v1/broken-model", broken_model)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_an_unexpected_error_answers_500_json_and_keeps_the_connection_open(failing_server: str) -> None:
    connection = _connection(failing_server)
    status, _, body = _call(connection, "GET", "/api/v1/explode", "Bearer none")
    socket_before = connection.sock
    health, _, _ = _call(connection, "GET", "/healthz", "Bearer none")
    assert (status, body["error"]) == (500, "internal_error")
    assert (health, connection.sock) == (200, socket_before)


def test_a_retryable_provider_error_tells_the_client_when_to_retry_and_a_lasting_one_does_not(
        failing_server: str) -> None:
    connection = _connection(failing_server)
    status, headers, body = _call(connection, "GET", "/api/v1/busy", "Bearer none")
    lasting, lasting_headers, lasting_body = _call(connection, "GET", "/api/v1/broken-model", "Bearer none")
    assert (status, body["error"], body["retryable"], headers.get("retry-after")) == (503, "provider_error", True, "1")
    assert (lasting, lasting_body["retryable"], "retry-after" in lasting_headers) == (503, False, False)


def test_sqlite_lock_timeouts_are_transient_and_schema_errors_are_not() -> None:
    def error(message: str) -> OperationalError:
        return OperationalError("INSERT ...", {}, sqlite3.OperationalError(message))

    assert is_transient(error("database is locked"))
    assert not is_transient(error("no such table: tickets"))
