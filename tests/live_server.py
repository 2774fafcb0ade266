"""The app served by a real uvicorn on loopback over each test database, shared by the API, page and e2e tests.

Import the fixtures into a folder's conftest.py (`from tests.live_server import desk, live_server`).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from sqlalchemy.orm import Session

from deskpilot.api.app import create_app
from deskpilot.config import Environment, Settings
from tests.factories import Desk, make_desk


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of the running app; the database is emptied per test by the `session` fixture."""
    settings = Settings(database_url=database_url, environment=Environment.TEST,
                        data_dir=tmp_path_factory.mktemp("var"), login_attempts_per_minute=5,
                        password_time_cost=1, password_memory_kib=64)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start within 20 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def desk(session: Session) -> Desk:
    """The personas (see tests/factories.py), committed so the server sees them."""
    desk = make_desk(session)
    session.commit()
    return desk
