"""The connectors' HTTP client against a real local server: auth, Retry-After, bounded backoff, vendor errors."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from deskpilot.connectors.http import (
    HttpClient,
    RetryPolicy,
    basic_auth,
    bearer_headers,
    retry_after_seconds,
    vendor_message,
)
from deskpilot.errors import InvalidInput, NotFound, ProviderError
from tests.connectors.vendor_server import serve

calls: Counter[str] = Counter()


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/flaky")
    def flaky() -> Response:
        calls["flaky"] += 1
        if calls["flaky"] <= 2:
            return JSONResponse({"error": "busy"}, status_code=503)
        return JSONResponse({"ok": True})

    @app.get("/limited")
    def limited() -> Response:
        calls["limited"] += 1
        if calls["limited"] == 1:
            return JSONResponse({"error": "TooManyRequests"}, status_code=429, headers={"Retry-After": "1"})
        return JSONResponse({"ok": True})

    @app.get("/storm")
    def storm() -> Response:
        calls["storm"] += 1
        return JSONResponse({"error": "TooManyRequests"}, status_code=429, headers={"Retry-After": "0"})

    @app.get("/later")
    def later() -> Response:
        return JSONResponse({"error": "TooManyRequests"}, status_code=429, headers={"Retry-After": "3600"})

    @app.get("/whoami")
    def whoami(request: Request) -> dict[str, str]:
        return {"authorization": request.headers.get("Authorization", "")}

    @app.get("/gone")
    def gone() -> Response:
        return JSONResponse({"error": {"message": "No Record found", "detail": "ACL"}, "status": "failure"},
                            status_code=404)

    @app.get("/denied")
    def denied() -> Response:
        return JSONResponse({"error": "Couldn't authenticate you"}, status_code=401)

    @app.get("/refused")
    def refused() -> Response:
        return JSONResponse({"error": "RecordInvalid", "description": "Subject: cannot be blank"}, status_code=422)

    return app


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve(_app()) as url:
        yield url


@pytest.fixture(autouse=True)
def fresh_counts() -> None:
    calls.clear()


def _client(url: str, waits: list[float], **kwargs: object) -> HttpClient:
    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)
    return HttpClient(vendor="acme", base_url=url, sleep=sleep, **kwargs)  # type: ignore[arg-type]


def test_retry_after_is_read_as_seconds_or_as_an_http_date() -> None:
    now = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30.0
    assert retry_after_seconds(format_datetime(now - timedelta(seconds=30), usegmt=True), now=now) == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_a_429_waits_what_retry_after_asks_then_succeeds(server: str) -> None:
    waits: list[float] = []
    client = _client(server, waits)
    started = time.monotonic()

    assert client.get_json("/limited") == {"ok": True}

    assert waits == [1.0] and time.monotonic() - started >= 1.0
    assert (client.stats.rate_limited, client.stats.retried, client.stats.requests) == (1, 1, 2)


def test_server_errors_are_retried_with_a_doubling_backoff(server: str) -> None:
    waits: list[float] = []

    assert _client(server, waits, retry=RetryPolicy(backoff_seconds=0.05)).get_json("/flaky") == {"ok": True}

    assert waits == [0.05, 0.1] and calls["flaky"] == 3


def test_a_storm_longer_than_the_policy_ends_in_a_retryable_error(server: str) -> None:
    waits: list[float] = []
    with pytest.raises(ProviderError, match="rate limit reached.*still after 4 attempts") as raised:
        _client(server, waits, retry=RetryPolicy(max_attempts=4)).get_json("/storm")
    assert raised.value.retryable and calls["storm"] == 4 and len(waits) == 3


def test_a_retry_after_beyond_the_longest_wait_is_not_slept_through(server: str) -> None:
    waits: list[float] = []
    with pytest.raises(ProviderError, match="asks to wait 3600 s") as raised:
        _client(server, waits, retry=RetryPolicy(max_wait_seconds=60)).get_json("/later")
    assert raised.value.retryable and waits == []


def test_a_dropped_connection_is_retried_then_reported(server: str) -> None:
    closed_port = server.rsplit(":", 1)[0] + ":1"
    waits: list[float] = []
    with pytest.raises(ProviderError, match="ConnectError") as raised:
        _client(closed_port, waits, retry=RetryPolicy(max_attempts=3, backoff_seconds=0.01)).get_json("/x")
    assert raised.value.retryable and waits == [0.01, 0.02]


def test_vendor_errors_become_the_desks_typed_errors_with_the_vendors_words(server: str) -> None:
    client = _client(server, [])
    with pytest.raises(NotFound, match="No Record found: ACL"):
        client.get_json("/gone")
    with pytest.raises(ProviderError, match="refused the credentials .401: Couldn't authenticate you") as denied:
        client.get_json("/denied")
    with pytest.raises(ProviderError, match="422: RecordInvalid: Subject: cannot be blank") as refused:
        client.get_json("/refused")
    assert not denied.value.retryable and not refused.value.retryable


def test_basic_and_bearer_authentication_reach_the_server(server: str) -> None:
    basic = HttpClient(vendor="acme", base_url=server, auth=basic_auth("agent@acme.example/token", "t0k3n"))
    bearer = HttpClient(vendor="acme", base_url=server, headers=bearer_headers("oauth-abc"))

    assert basic.get_json("/whoami")["authorization"] == httpx.BasicAuth(
        "agent@acme.example/token", "t0k3n")._auth_header
    assert bearer.get_json("/whoami") == {"authorization": "Bearer oauth-abc"}


def test_a_base_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(InvalidInput, match="must start with https://"):
        HttpClient(vendor="acme", base_url="acme.zendesk.com")


def test_vendor_message_reads_each_vendors_error_shape() -> None:
    def response(status: int, body: object) -> httpx.Response:
        return httpx.Response(status, json=body)

    assert vendor_message(response(404, {"error": "RecordNotFound", "description": "Not found"})) == (
        "RecordNotFound: Not found")
    assert vendor_message(response(400, {"error": {"message": "Invalid table", "detail": "x"}})) == "Invalid table: x"
    assert vendor_message(httpx.Response(502, text="<html>Bad gateway</html>")) == "<html>Bad gateway</html>"
