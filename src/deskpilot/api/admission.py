"""Admission control: at most `limit` HTTP requests are inside the app at once; the rest wait in line.

A synchronous FastAPI request hops between worker threads (dependencies, endpoint, commit) and holds its
pooled database connection in between. Without a bound, more requests than connections can each take a
thread and wait for a connection that only a request waiting for a thread can return: the pool and the
thread pool starve each other until the pool times out. Waiting here costs neither a thread nor a
connection. The time spent waiting is reported as `Server-Timing: queue;dur=<ms>`. A request that waited
`queue_seconds` without getting in is answered 503 with `Retry-After` (the process is overloaded; nothing was
done), instead of waiting until the client gives up.
"""

from __future__ import annotations

import asyncio
import time

import anyio.to_thread
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deskpilot.api.errors import RETRY_AFTER_SECONDS

# Threads beyond the admitted requests: the app's own background work (index refresh, mail polling).
SPARE_THREADS = 8


class AdmissionLimit:
    """ASGI middleware that admits at most `limit` concurrent HTTP requests, first come first served."""

    def __init__(self, app: ASGIApp, *, limit: int, queue_seconds: float = 60.0) -> None:
        self.app = app
        self.limit = limit
        self.queue_seconds = queue_seconds
        self._slots: asyncio.Semaphore | None = None

    def _ensure_slots(self) -> asyncio.Semaphore:
        # Created on first use, inside the server's event loop.
        if self._slots is None:
            limiter = anyio.to_thread.current_default_thread_limiter()
            limiter.total_tokens = max(limiter.total_tokens, self.limit + SPARE_THREADS)
            self._slots = asyncio.Semaphore(self.limit)
        return self._slots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        arrived = time.perf_counter()
        slots = self._ensure_slots()
        try:
            await asyncio.wait_for(slots.acquire(), self.queue_seconds)
        except TimeoutError:
            await _overloaded((time.perf_counter() - arrived) * 1000)(scope, receive, send)
            return
        try:
            waited_ms = (time.perf_counter() - arrived) * 1000

            async def timed_send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers", []))
                    headers.append((b"server-timing", f"queue;dur={waited_ms:.2f}".encode()))
                    message = {**message, "headers": headers}
                await send(message)

            await self.app(scope, receive, timed_send)
        finally:
            slots.release()


def _overloaded(waited_ms: float) -> JSONResponse:
    return JSONResponse({"error": "overloaded", "message": "The service is too busy to take this request now; "
                         "nothing was done. Try again in a moment.", "retryable": True}, status_code=503,
                        headers={"Retry-After": RETRY_AFTER_SECONDS, "Server-Timing": f"queue;dur={waited_ms:.2f}"})
