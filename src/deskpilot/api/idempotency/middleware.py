"""ASGI middleware: a POST sent again with the same `Idempotency-Key` by the same user is done once.

The first request with a key runs and its successful response is kept; the same request again gets that
response replayed (same status and body, header `Idempotent-Replayed: true`); the key with a different
request gets 422; a duplicate arriving while the first still runs waits for it (or gets 409 after
`wait_seconds`). A failed first request keeps nothing, so its retry runs again, and so does a request to a
route that honours the key itself and answers retries its own way (chat turns: it depends on
`route_handles_key`); duplicates still run one at a time. Anonymous requests pass through.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deskpilot.accounts import login
from deskpilot.accounts import service as accounts
from deskpilot.api.deps import SESSION_COOKIE
from deskpilot.api.idempotency import store
from deskpilot.api.idempotency.store import Claim, ClaimOutcome
from deskpilot.db import unit_of_work

T = TypeVar("T")
log = logging.getLogger(__name__)
HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 120
_HANDLED_BY_ROUTE = "idempotency_key_handled_by_route"
# Response headers replayed with the body; cookies and timings belong to the first response only.
_KEPT_HEADERS = frozenset({"content-type", "location"})
_POLL_SECONDS = 0.05


def route_handles_key(request: Request) -> None:
    """A dependency of a route that honours `Idempotency-Key` itself: the middleware then keeps no response."""
    request.state.idempotency_key_handled_by_route = True


def _user_id(session: Session, request: Request) -> int | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    cookie = request.cookies.get(SESSION_COOKIE)
    if scheme.lower() == "bearer" and token.strip():
        user = accounts.user_for_token(session, token=token.strip())
    else:
        user = login.user_for_session(session, secret=cookie) if cookie else None
    return user.id if user is not None else None


def _request_hash(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256(f"{scope['method']} {scope['path']}?".encode())
    digest.update(scope.get("query_string", b""))
    digest.update(b"\n")
    digest.update(body)
    return digest.hexdigest()


def _refuse(status: int, code: str, message: str, **headers: str) -> Response:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def _replay(claim: Claim) -> Response:
    headers = {name: value for name, value in claim.headers}
    return Response(claim.body, status_code=claim.status_code, headers={**headers, "Idempotent-Replayed": "true"})


class IdempotentPosts:
    """Honours `Idempotency-Key` on every POST of the app."""

    def __init__(self, app: ASGIApp, *, session_factory: sessionmaker[Session], wait_seconds: float = 30.0) -> None:
        self.app = app
        self.session_factory = session_factory
        self.wait_seconds = wait_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        key = request.headers.get(HEADER)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isprintable():
            await _refuse(422, "invalid_input", f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters.")(
                scope, receive, send)
            return
        body = await request.body()

        async def replay_body() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        await self._guarded(scope, replay_body, send, key=key, request_hash=_request_hash(scope, body))

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, *, key: str, request_hash: str) -> None:
        deadline = time.monotonic() + self.wait_seconds
        while True:
            claim = await self._in_unit_of_work(lambda db: self._claim(db, scope, key, request_hash))
            if claim is None:
                await self.app(scope, receive, send)
                return
            if claim.outcome is ClaimOutcome.FIRST:
                await self._first(scope, receive, send, claim.record_id)
                return
            if claim.outcome is ClaimOutcome.REPLAY:
                await _replay(claim)(scope, receive, send)
                return
            if claim.outcome is ClaimOutcome.MISMATCH:
                await _refuse(422, "idempotency_key_reused", f"This {HEADER} was already used for a different "
                              "request; use a new key for a new request.")(scope, receive, send)
                return
            if time.monotonic() > deadline:
                await _refuse(409, "conflict", f"A request with this {HEADER} is still running; try again "
                              "in a moment.", **{"Retry-After": "1"})(scope, receive, send)
                return
            await asyncio.sleep(_POLL_SECONDS)

    @staticmethod
    def _claim(session: Session, scope: Scope, key: str, request_hash: str) -> Claim | None:
        user_id = _user_id(session, Request(scope))
        return None if user_id is None else store.claim(session, user_id=user_id, key=key,
                                                        request_hash=request_hash)

    async def _first(self, scope: Scope, receive: Receive, send: Send, record_id: int) -> None:
        status = 0
        headers: list[list[str]] = []
        body = bytearray()
        state = scope.setdefault("state", {})

        async def kept_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers.extend([name.decode("latin-1"), value.decode("latin-1")] for name, value
                               in message.get("headers", []) if name.decode("latin-1").lower() in _KEPT_HEADERS)
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, kept_send)
        finally:
            with anyio.CancelScope(shield=True):
                await self._settle(record_id, status if not state.get(_HANDLED_BY_ROUTE) else 0, headers, bytes(body))

    async def _settle(self, record_id: int, status: int, headers: list[list[str]], body: bytes) -> None:
        """Keep a successful response, or free the key; the client has its answer either way."""
        try:
            if 200 <= status < 300:
                await self._in_unit_of_work(lambda db: store.finish(
                    db, record_id=record_id, status_code=status, headers=headers, body=body))
            else:
                await self._in_unit_of_work(lambda db: store.release(db, record_id=record_id))
        except DBAPIError as exc:
            # The answer was sent already; failing now would only drop the connection. An unsettled claim
            # expires after store.RUNNING_LIFETIME, and until then a retry is told to wait (409).
            log.warning("Idempotency-Key claim %d not settled: %s", record_id, exc)

    async def _in_unit_of_work(self, work: Callable[[Session], T]) -> T:
        def run() -> T:
            with unit_of_work(self.session_factory) as session:
                return work(session)

        return await anyio.to_thread.run_sync(run)
