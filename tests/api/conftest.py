"""The real HTTP server over each test database (tests/live_server.py), and clients with API tokens."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from tests.factories import SYSTEM, Desk
from tests.live_server import desk, live_server  # noqa: F401 - fixtures of the tests in this folder


class Clients(dict[str, httpx.Client]):
    """One authenticated client per persona name, plus `anonymous`."""


@pytest.fixture
def clients(live_server: str, session: Session, desk: Desk,  # noqa: F811 - the fixtures imported above
            engine: Engine) -> Iterator[Clients]:
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
