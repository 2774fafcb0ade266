"""Several app processes on one PostgreSQL: a KB approval made through one process is used by another process's
chat within seconds, because each process syncs its KB index with the approved versions in the database at every
turn (no state that only one process knows). Process A is this test's server, process B `deskpilot serve` in a
subprocess with a data directory of its own, as on another machine."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from tests.api.conftest import Clients
from tests.conftest import TEST_AUDIT_KEY
from tests.kb.test_assist_api import PRINTER

ROOT = Path(__file__).resolve().parents[2]
K = "/api/v1/kb"
QUESTION = "My print job is stuck in the queue"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def process_b(clients: Clients, engine: Engine, database_url: str, tmp_path: Path) -> Iterator[str]:
    if engine.dialect.name != "postgresql":
        pytest.skip("several app processes run on PostgreSQL")
    port = _free_port()
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
                        "DESKPILOT_DATABASE_URL": database_url, "DESKPILOT_DATA_DIR": str(tmp_path / "machine-b"),
                        "DESKPILOT_AUDIT_KEY": TEST_AUDIT_KEY, "DESKPILOT_ENVIRONMENT": "test"}
    server = subprocess.Popen([sys.executable, "-m", "deskpilot.cli", "serve", "--port", str(port)], cwd=tmp_path,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise AssertionError(f"process B did not start: {server.communicate()[1][-2000:]}")
        time.sleep(0.5)
    yield url
    server.send_signal(signal.SIGTERM)
    server.communicate(timeout=60)


def _chat_reply(client: httpx.Client) -> str:
    conversation = client.post("/api/v1/conversations", json={}).json()
    turn = client.post(f"/api/v1/conversations/{conversation['id']}/messages", json={"body": QUESTION})
    assert turn.status_code == 201, turn.text
    return "\n".join(reply["body"] for reply in turn.json()["replies"])


def test_a_kb_approval_through_process_a_is_used_by_process_b_chat_within_5_s(clients: Clients, process_b: str,
                                                                                 session: object) -> None:
    del session
    article = clients["carol"].post(f"{K}/articles", json={"slug": "printer-queue", "body": PRINTER,
                                                           "title": "Print jobs stuck in the queue"}).json()
    version = f"{K}/articles/{article['id']}/versions/1"
    assert clients["carol"].post(f"{version}/submit").status_code == 200
    token = clients["alice"].headers["Authorization"]
    with httpx.Client(base_url=process_b, headers={"Authorization": token}, timeout=30) as alice_on_b:
        assert "PaperCut" not in _chat_reply(alice_on_b)  # submitted, not approved: not used anywhere

        assert clients["lena"].post(f"{version}/approve", json={}).status_code == 200  # through process A
        approved = time.monotonic()
        reply = _chat_reply(alice_on_b)
        while "PaperCut" not in reply and time.monotonic() - approved < 5:
            time.sleep(0.2)
            reply = _chat_reply(alice_on_b)
    assert "PaperCut" in reply, reply
    assert time.monotonic() - approved < 5
