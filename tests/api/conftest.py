"""A real HTTP server (uvicorn on loopback) over each test database, and clients with API tokens."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.api.app import create_app
from deskpilot.config import Environment, Settings
from tests.factories import SYSTEM, Desk, make_desk


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
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


class Clients(dict[str, httpx.Client]):
    """One authenticated client per persona name, plus `anonymous`."""


@pytest.fixture
def desk(session: Session) -> Desk:
    desk = make_desk(session)
    session.commit()
    return desk


@pytest.fixture
def clients(live_server: str, session: Session, desk: Desk, engine: Engine) -> Iterator[Clients]:
    del engine
    result = Clients()
    for name in ("alice", "bob", "carol", "dave", "lena", "adam", "audrey"):
        user = getattr(desk, name)
        _, secret = accounts.issue_token(session, actor=SYSTEM, user_id=user.id, name="test")
        result[name] = httpx.Client(base_url=live_server, headers={"Authorization": f"Bearer {secret}"},
                                    timeout=30)
    session.commit()
    result["anonymous"] = httpx.Client(base_url=live_server, timeout=30)
    yield result
    for client in result.values():
        client.close()
