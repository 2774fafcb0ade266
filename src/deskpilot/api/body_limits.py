"""Bounds on JSON request bodies, checked before anything parses or validates them.

A kilobyte of `[[[[…` nested a few hundred levels deep made the JSON parser or the validation error's
encoder recurse until it failed: a 500 or a dropped connection and a huge traceback, for any signed-in
user. Every JSON body is now read up to `max_bytes` (else 413) and its nesting measured by a linear scan
(deeper than `max_depth`: 422) before the request reaches a route.
"""

from __future__ import annotations

import re

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deskpilot.errors import TooLarge

MAX_JSON_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 64
# A string (to its closing quote, or to the end when unterminated, so a scan never restarts) or a bracket.
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)
_OPENING = frozenset(b"[{")


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether `body` nests arrays and objects deeper than `limit`, read without parsing it."""
    depth = 0
    for token in _TOKEN.finditer(body):
        first = token.group()[0]
        if first in _OPENING:
            depth += 1
            if depth > limit:
                return True
        elif first != ord('"'):
            depth -= 1
    return False


def _is_json(scope: Scope) -> bool:
    # FastAPI parses a body without a content type as JSON too.
    content_type = dict(scope["headers"]).get(b"content-type", b"").lower()
    return not content_type or b"json" in content_type.split(b";", 1)[0]


def _declared_length(scope: Scope) -> int:
    value = dict(scope["headers"]).get(b"content-length", b"0")
    return int(value) if value.isdigit() else 0


class JsonBodyLimits:
    """ASGI middleware: a JSON body larger than `max_bytes` gets 413, one nested deeper than `max_depth` 422."""

    def __init__(self, app: ASGIApp, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH,
                 self_bounded: frozenset[str] = frozenset()) -> None:
        """`self_bounded`: paths whose route authorises first, then reads and bounds its own larger body with
        `json_depth_exceeds` (the KB import); reading them here would spend work on a caller not yet allowed."""
        self.app = app
        self.max_bytes = max_bytes
        self.max_depth = max_depth
        self.self_bounded = self_bounded

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] in ("GET", "HEAD") or not _is_json(scope)
                or scope["path"] in self.self_bounded):
            await self.app(scope, receive, send)
            return
        body = await self._read(scope, receive)
        if body is None:
            await self._refuse(413, "too_large", f"The request body is larger than {self.max_bytes // 1024} KiB; "
                               "send less at once.", scope, receive, send)
            return
        if json_depth_exceeds(body, self.max_depth):
            await self._refuse(422, "invalid_input", f"The JSON body nests deeper than {self.max_depth} levels; "
                               "no request needs that.", scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _read(self, scope: Scope, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it is known to be too large."""
        if _declared_length(scope) > self.max_bytes:
            return None
        chunks = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunks += message.get("body", b"")
            more = message.get("more_body", False)
            if len(chunks) > self.max_bytes:
                return None
        return bytes(chunks)

    @staticmethod
    async def _refuse(status: int, code: str, message: str, scope: Scope, receive: Receive, send: Send) -> None:
        await JSONResponse({"error": code, "message": message}, status_code=status)(scope, receive, send)


class FormBodyLimit:
    """ASGI middleware: a form or upload body (any non-JSON POST) larger than `max_bytes` gets 413 before the
    multipart parser spools it to disk: at once when Content-Length says so, else as soon as the stream
    passes the limit."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD") or _is_json(scope):
            await self.app(scope, receive, send)
            return
        message = (f"The upload is larger than {self.max_bytes // (1024 * 1024)} MiB "
                   "(DESKPILOT_ATTACHMENT_MAX_BYTES); compress it or share a link instead.")
        if _declared_length(scope) > self.max_bytes:
            await JsonBodyLimits._refuse(413, "too_large", message, scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            received = await receive()
            seen += len(received.get("body", b""))
            if seen > self.max_bytes:
                raise TooLarge(message)
            return received

        await self.app(scope, counted, send)
