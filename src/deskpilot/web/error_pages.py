"""Errors on page routes become HTML pages; /api/ keeps its JSON error contract untouched.

The API's handlers stay the single source of status codes and messages: for a page request their JSON answer
is rendered into the error page instead of being sent as is.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any, cast
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import DataError, IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from deskpilot.errors import DomainError
from deskpilot.web.templating import render
from deskpilot.web.viewer import SignInRequired

Handler = Callable[[Request, Exception], Any]

_API_PREFIXES = ("/api/", "/docs", "/redoc", "/openapi.json")
_HANDLED = (DomainError, RequestValidationError, StarletteHTTPException, IntegrityError, DataError, Exception)
_TITLES = {400: "That request did not work", 401: "Please sign in", 403: "Not allowed", 404: "Page not found",
           405: "Not available", 409: "That clashes with a change", 413: "Too large", 422: "That did not work",
           429: "Too many attempts", 500: "Something went wrong", 503: "Temporarily unavailable"}
# Framework defaults ("Not Found") say nothing a person can act on; these do.
_PLAIN = {404: "There is nothing at this address. The link may be mistyped, or it leads to something you "
               "cannot see.",
          405: "This address cannot be used that way. Go back and use the page's own links and buttons."}


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith(_API_PREFIXES)


def _status_and_message(exc: Exception, api_answer: Response) -> tuple[int, str]:
    status = api_answer.status_code
    message = str(json.loads(bytes(api_answer.body)).get("message", ""))
    if isinstance(exc, RequestValidationError) and any(e.get("loc", ("",))[0] == "path" for e in exc.errors()):
        status, message = 404, _PLAIN[404]  # /tickets/abc is a page that does not exist, not a bad form
    if message == HTTPStatus(status).phrase or not message:
        message = _PLAIN.get(status, message or HTTPStatus(status).phrase)
    return status, message


def error_page(request: Request, *, status: int, message: str) -> Response:
    return render(request, "errors/error.html", {
        "status": status, "title": _TITLES.get(status, HTTPStatus(status).phrase), "message": message,
    }, viewer=None, status_code=status)


async def _answer_of(api_handler: Handler, request: Request, exc: Exception) -> Response:
    if inspect.iscoroutinefunction(api_handler):
        answer = await api_handler(request, exc)
    else:
        answer = await run_in_threadpool(api_handler, request, exc)
    return cast(Response, answer)


def _html_for_pages(api_handler: Handler) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, exc: Exception) -> Response:
        answer = await _answer_of(api_handler, request, exc)
        if is_api_path(request.url.path):
            return answer
        status, message = _status_and_message(exc, answer)
        return error_page(request, status=status, message=message)

    return handle


async def _to_sign_in(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    return RedirectResponse(f"/sign-in?{urlencode({'next': exc.next_path})}", status_code=303)


def install(app: FastAPI) -> None:
    """Wrap the API's error handlers (install them first) so page routes answer with HTML."""
    for exc_class in _HANDLED:
        api_handler = app.exception_handlers.get(exc_class)
        if api_handler is not None:
            app.add_exception_handler(exc_class, _html_for_pages(api_handler))
    app.add_exception_handler(SignInRequired, _to_sign_in)
