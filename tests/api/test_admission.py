"""Admission control: more concurrent requests than pooled connections queue instead of starving the pool."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.types import Message, Receive, Scope, Send

from deskpilot.accounts import service as accounts
from deskpilot.api.admission import AdmissionLimit
from deskpilot.config import Settings
from tests.factories import SYSTEM, Desk
from tests.live_server import server_settings, serving


def test_more_requests_than_connections_all_succeed(database_url: str, tmp_path, session: Session,
                                                    desk: Desk) -> None:
    _, secret = accounts.issue_token(session, actor=SYSTEM, user_id=desk.carol.id, name="load")
    session.commit()
    settings = server_settings(database_url, tmp_path, db_pool_size=2, db_max_overflow=1, http_concurrency=2)
    headers = {"Authorization": f"Bearer {secret}"}
    with (serving(settings) as url, httpx.Client(base_url=url, timeout=60, headers=headers) as client,
          ThreadPoolExecutor(max_workers=48) as pool):
        responses = list(pool.map(lambda _: client.get("/api/v1/tickets"), range(96)))
    assert [r.status_code for r in responses] == [200] * 96
    assert all("queue;dur=" in r.headers["server-timing"] for r in responses)


def _drive(limited: AdmissionLimit, scope: Scope, requests: int) -> list[Message]:
    """Send `requests` requests at once through `limited`; every ASGI message it sent back, in order."""
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request"}

    async def main() -> None:
        await asyncio.gather(*(limited(scope, receive, send) for _ in range(requests)))

    # Its own thread: a browser test in this worker may have left an event loop running on this one.
    with ThreadPoolExecutor(max_workers=1) as runner:
        runner.submit(asyncio.run, main()).result()
    return sent


def test_the_limit_is_never_exceeded() -> None:
    inside = 0
    most = 0

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        await asyncio.sleep(0.01)
        inside -= 1
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent = _drive(AdmissionLimit(app, limit=3), {"type": "http"}, 20)
    assert most == 3
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert len(starts) == 20
    assert all(dict(m["headers"])[b"server-timing"].startswith(b"queue;dur=") for m in starts)


def test_concurrency_must_leave_connections_spare() -> None:
    with pytest.raises(ValidationError, match="DESKPILOT_HTTP_CONCURRENCY"):
        Settings(db_pool_size=5, db_max_overflow=5, http_concurrency=10)


def test_a_request_that_waits_in_line_too_long_is_answered_503_with_retry_after_and_never_runs() -> None:
    ran = 0

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal ran
        ran += 1
        await asyncio.sleep(0.5)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent = _drive(AdmissionLimit(app, limit=1, queue_seconds=0.05),
                  {"type": "http", "method": "GET", "path": "/", "headers": []}, 2)
    starts = sorted((m for m in sent if m["type"] == "http.response.start"), key=lambda m: m["status"])
    assert ran == 1
    assert [m["status"] for m in starts] == [204, 503]
    refused = dict(starts[1]["headers"])
    assert refused[b"retry-after"] == b"1"
    assert b"queue;dur=" in refused[b"server-timing"]
    body = next(m["body"] for m in sent if m["type"] == "http.response.body" and m.get("body"))
    assert json.loads(body) | {"message": ""} == {"error": "overloaded", "message": "", "retryable": True}
