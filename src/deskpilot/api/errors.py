"""Every error leaves the API as JSON `{"error": code, "message": text}`; nothing becomes a bare 500.

An error answer keeps the client's keep-alive connection usable: unexpected errors are answered by
`ErrorBoundary`, not by Starlette's outermost handler, which re-raises to the server after answering (and
uvicorn then closes the connection). A database that is briefly unavailable (a lost connection, a
terminated backend, SQLite's write lock held too long) answers 503 with `Retry-After`, `"retryable": true`, and
so does a provider error worth retrying (a chat turn the database kept refusing, a model that timed out).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deskpilot.db import is_transient
from deskpilot.errors import DomainError, ProviderError

log = logging.getLogger(__name__)

_HTTP_CODES = {400: "bad_request", 401: "not_authenticated", 403: "permission_denied", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large", 422: "invalid_input",
               429: "rate_limited"}


def _body(code: str, message: str, status: int, **extra: object) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, **extra}, status_code=status)


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "request"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "The request is not valid."


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        if not isinstance(exc, ProviderError):
            return _body(exc.code, exc.message, exc.status_code)
        response = _body(exc.code, exc.message, exc.status_code, retryable=exc.retryable)
        if exc.retryable:
            response.headers["Retry-After"] = RETRY_AFTER_SECONDS
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _body("invalid_input", _describe(exc), 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        return JSONResponse({"error": code, "message": str(exc.detail)}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(IntegrityError)
    async def integrity_error(_: Request, exc: IntegrityError) -> JSONResponse:
        log.info("integrity error: %s", exc.orig)
        return _body("conflict", "The change conflicts with existing data (a duplicate or a missing "
                     "reference). Nothing was saved.", 409)

    @app.exception_handler(DataError)
    async def data_error(_: Request, exc: DataError) -> JSONResponse:
        log.info("data error: %s", exc.orig)
        return _body("invalid_input", "A value is out of range or malformed for the database. Nothing was "
                     "saved.", 422)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        return _unexpected(exc)


RETRY_AFTER_SECONDS = "1"


def _unexpected(exc: Exception) -> JSONResponse:
    """503 for a transient database error (in a route or a middleware), else a logged 500."""
    if isinstance(exc, DBAPIError) and is_transient(exc):
        log.warning("database unavailable: %s", exc.orig)
        response = _body("database_unavailable", "The database is busy or was briefly unreachable; nothing "
                         "was saved. Try again in a moment.", 503, retryable=True)
        response.headers["Retry-After"] = RETRY_AFTER_SECONDS
        return response
    log.exception("unhandled error", exc_info=exc)
    return _body("internal_error", "Something went wrong on our side; it has been logged. Try again, "
                 "and tell the administrator if it keeps happening.", 500)


class ErrorBoundary:
    """ASGI middleware: an unexpected error is answered by the app's `Exception` handler (JSON, or the page
    wrapper's HTML), inside the server's own handler, so the connection stays open for the next request."""

    def __init__(self, app: ASGIApp, *, handlers: dict[Any, Callable[[Request, Exception], Any]]) -> None:
        self.app = app
        self.handlers = handlers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except Exception as exc:
            if started:
                raise
            answer = self.handlers[Exception](Request(scope), exc)
            response: Response = await answer if inspect.isawaitable(answer) else answer
            await response(scope, receive, send)
