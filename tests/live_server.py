"""The app served by a real uvicorn on loopback over each test database, shared by the API, page and e2e tests.

Import the fixtures into a folder's conftest.py (`from tests.live_server import desk, live_server`).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy.orm import Session

from deskpilot.api.app import create_app
from deskpilot.config import Environment, Settings
from deskpilot.runtime import AiRuntime
from tests.conftest import KeptPerKind
from tests.factories import Desk, make_desk


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(settings: Settings, runtime: AiRuntime | None = None, port: int | None = None) -> Iterator[str]:
    """Serve the app for `settings` with uvicorn on a free loopback port (or `port`, when the settings must name
    the URL beforehand); yields its base URL. Pass the session's `ai_runtime` to spare the model loading of a
    second runtime."""
    port = port or _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, runtime), host="127.0.0.1", port=port,
                                           log_level="warning", proxy_headers=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start within 20 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def server_settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    """Settings of a test server: cheap password hashing, a private data directory."""
    return Settings(database_url=database_url, environment=Environment.TEST, data_dir=data_dir,
                    login_attempts_per_minute=5, password_time_cost=1, password_memory_kib=64, **overrides)


@pytest.fixture(scope="session")
def live_server(database_url: str, tmp_path_factory: pytest.TempPathFactory, kept_per_kind: KeptPerKind) -> str:
    """The base URL of the running app, one per database kind for the whole session (tests/conftest.py's
    KeptPerKind); the database is emptied per test by the `session` fixture."""
    return kept_per_kind.get(("live_server", database_url),
                             lambda: serving(server_settings(database_url, tmp_path_factory.mktemp("var"))))


@pytest.fixture
def desk(session: Session) -> Desk:
    """The personas (see tests/factories.py), committed so the server sees them."""
    desk = make_desk(session)
    session.commit()
    return desk
