"""The chat load benchmark counts in the database what the server acknowledged: a lost or doubled message shows."""

from __future__ import annotations

import importlib
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import ClassVar

import httpx
import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from deskpilot.channels.email.models import InboundMail
from deskpilot.channels.email.smtp import start_listener
from deskpilot.config import Environment, Settings
from deskpilot.conversations.models import ConversationMessage
from deskpilot.conversations.state import Author
from deskpilot.db import session_factory
from deskpilot.ml.embeddings import load_embedder
from deskpilot.triage.engine import TriageEngine
from tests.api.conftest import Clients
from tests.factories import Desk


@pytest.fixture
def benchmark(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "benchmarks"))
    return importlib.import_module("chat_load")


@pytest.fixture
def smtp_port(engine: Engine, database_url: str, tmp_path: Path) -> Iterator[int]:
    """The desk's real SMTP listener on a free loopback port, on the test database."""
    settings = Settings(database_url=database_url, environment=Environment.TEST, data_dir=tmp_path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    controller = start_listener(session_factory(engine), settings=settings,
                                triage=TriageEngine(settings, load_embedder(settings.embedding_model)),
                                host="127.0.0.1", port=port)
    try:
        yield port
    finally:
        controller.stop()


def test_the_count_finds_every_acknowledged_turn_and_mail_once_and_reports_a_lost_and_a_doubled_one(
        benchmark: ModuleType, clients: Clients, live_server: str, smtp_port: int, session: Session,
        database_url: str, desk: Desk) -> None:
    tokens = [str(clients[name].headers["Authorization"]).removeprefix("Bearer ") for name in ("alice", "bob")]
    stats = benchmark.Stats()
    benchmark.drive(live_server, tokens, 3, stats)
    benchmark.mail_burst(smtp_port, [desk.alice.email, desk.bob.email], 3, stats, connections=2)
    assert stats.errors == []
    # Every acknowledged turn is timed with its index in its conversation: the tail can be split by turn.
    assert sorted(timing.turn for timing in stats.turns) == [1, 1, 2, 2, 3, 3]

    tally = benchmark.count_in_database(database_url, stats)
    assert (tally.turns, tally.lost, tally.duplicated) == (6, 0, 0)
    assert (tally.mails, tally.mails_lost, tally.mails_duplicated) == (3, 0, 0)
    assert tally.clean

    # One turn gone, another stored twice, one mail gone: the count must say so.
    session.rollback()
    first, second = stats.sent
    gone = session.scalars(select(ConversationMessage).where(
        ConversationMessage.conversation_id == first, ConversationMessage.author_kind == Author.REQUESTER)).first()
    twice = session.scalars(select(ConversationMessage).where(
        ConversationMessage.conversation_id == second, ConversationMessage.author_kind == Author.REQUESTER)).first()
    assert gone is not None and twice is not None
    session.add(ConversationMessage(conversation_id=second, author_kind=Author.REQUESTER, body=twice.body))
    session.delete(gone)
    session.execute(delete(InboundMail).where(InboundMail.message_id == stats.mails[0]))
    session.commit()

    tally = benchmark.count_in_database(database_url, stats)
    assert (tally.turns, tally.lost, tally.duplicated) == (6, 1, 1)
    assert (tally.mails, tally.mails_lost, tally.mails_duplicated) == (3, 1, 0)
    assert not tally.clean


class BusyOnce(BaseHTTPRequestHandler):
    """Answers each Idempotency-Key's first POST 503 with Retry-After, the next ones 201."""

    seen: ClassVar[set[str]] = set()

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers["Content-Length"]))
        key = self.headers["Idempotency-Key"]
        first = key not in self.seen
        self.seen.add(key)
        status = 201 if not first else 503
        self.send_response(status)
        if first:
            self.send_header("Retry-After", "0")
        self.send_header("Server-Timing", "app;dur=12.5, queue;dur=0.5")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_args: object) -> None:
        pass


def test_a_503_with_retry_after_is_sent_again_counted_apart_and_is_no_error(benchmark: ModuleType) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BusyOnce)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stats = benchmark.Stats()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.server_address[1]}") as client:
            responses = [benchmark._post(client, "/api/v1/conversations", {"message": "hi"}, stats, 1)
                         for _ in range(3)]
    finally:
        server.shutdown()
    assert [r.status_code for r in responses] == [201] * 3
    assert stats.busy_retries == {503: 3}
    assert (stats.server_ms, stats.queue_ms, len(stats.client_ms)) == ([12.5] * 3, [0.5] * 3, 3)
    assert [(t.turn, t.app_ms, t.queue_ms) for t in stats.turns] == [(1, 12.5, 0.5)] * 3
