"""What the fake vendor servers share: a real uvicorn on loopback, vendor auth, 429 storms, a held page.

The fakes reproduce the vendors' documented endpoints, auth, pagination and error shapes; they live in the
tests only, and the connectors under test are the real HTTP clients.
"""

from __future__ import annotations

import base64
import random
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response


@dataclass
class Faults:
    """Misbehaviour on demand: `storm` requests answer 429 (Retry-After `retry_after`); `rate_every`: every n-th
    request does; `hold_page`: the n-th export page is held until `release` is set (a client killed meanwhile)."""

    storm: int = 0
    rate_every: int = 0
    retry_after: str = "0"
    hold_page: int | None = None
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    requests: int = 0
    answered_429: int = 0
    export_pages: int = 0
    body: dict[str, object] = field(default_factory=lambda: {"error": "TooManyRequests",
                                                              "description": "Rate limit exceeded"})

    def throttled(self) -> Response | None:
        self.requests += 1
        if self.storm > 0 or (self.rate_every and self.requests % self.rate_every == 0):
            self.storm = max(0, self.storm - 1)
            self.answered_429 += 1
            return JSONResponse(self.body, status_code=429, headers={"Retry-After": self.retry_after})
        return None

    def export_page(self) -> None:
        self.export_pages += 1
        if self.hold_page is not None and self.export_pages == self.hold_page:
            self.held.set()
            self.release.wait(timeout=60)


class Clock:
    """The fake's time: one second later for every change, so orders are total."""

    def __init__(self, start: datetime = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)) -> None:
        self.now = start

    def tick(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    return user, password


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """`app` on a real uvicorn on a free loopback port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the fake vendor server did not start within 20 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


SUBJECTS = {
    "network": ["VPN drops every hour", "Wi-Fi on floor 3 is down", "Cannot reach the file share",
                "Remote desktop times out"],
    "access": ["Locked out of my account", "Need access to the finance folder", "Password expired",
               "MFA prompt never arrives"],
    "hardware": ["Laptop does not boot", "Printer shows paper jam", "Docking station no display",
                 "Keyboard keys stuck"],
    "software": ["Outlook crashes on start", "Excel macro error 1004", "Teams has no sound",
                 "Install request for Visio"],
}
FILES = [("screenshot.png", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(range(64))),
         ("error.log", "text/plain", b"2025-03-03 08:00 ERROR connection reset by peer\n"),
         ("setup.exe", "application/octet-stream", b"MZ\x90\x00" + b"\x00" * 60)]


def desk_rng(seed: int = 21) -> random.Random:
    return random.Random(seed)
