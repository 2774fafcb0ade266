""""Forgot your password?" on the sign-in page: name the account, enter the e-mailed code and a new password.

The request being completed travels in a hidden field signed for this browser's pre-session cookie, so it
cannot be completed from another browser, and the page says the same whether or not the account exists.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from deskpilot.accounts import login
from deskpilot.api.deps import SessionDep, SettingsDep
from deskpilot.config import Settings
from deskpilot.errors import InvalidInput, PermissionDenied, RateLimited
from deskpilot.runbooks import sign_in_reset
from deskpilot.runbooks.enums import RunStatus
from deskpilot.runbooks.mailer import mailer_for
from deskpilot.web import csrf
from deskpilot.web.templating import render

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]
PAGE = "auth/forgot_password.html"


def _binding(request: Request) -> str:
    return request.cookies.get(csrf.PRESESSION_COOKIE) or csrf.new_presession_secret()


def _signed(settings: Settings, binding: str, request_id: int) -> str:
    mac = hmac.new(settings.secret_key.encode(), f"sign-in-reset:{binding}:{request_id}".encode(), hashlib.sha256)
    return f"{request_id}.{mac.hexdigest()}"


def _request_id(settings: Settings, binding: str | None, signed: str) -> int:
    """The request id in `signed` if it was signed for this browser; 0 (no request) otherwise."""
    head, _, _ = signed.partition(".")
    if not binding or not head.isdigit() or len(head) > 18:
        return 0
    expected = _signed(settings, binding, int(head))
    return int(head) if hmac.compare_digest(expected.encode(), signed.encode("utf-8", "replace")) else 0


def _page(request: Request, settings: Settings, *, stage: str, request_id: int = 0, needs_code: bool = True,
          problem: str | None = None, status_code: int = 200) -> Response:
    binding = _binding(request)
    response = render(request, PAGE, {
        "stage": stage, "reset_token": _signed(settings, binding, request_id), "needs_code": needs_code,
        "problem": problem, "show_human_link": False,
        "presession_token": csrf.token_for(secret_key=settings.secret_key, binding=binding),
        "code_minutes": settings.self_service_code_minutes, "min_length": settings.password_min_length,
        "min_classes": settings.password_min_classes,
    }, viewer=None, status_code=status_code)
    response.set_cookie(csrf.PRESESSION_COOKIE, binding, httponly=True, samesite="lax", secure=settings.uses_https)
    return response


def _check_form(request: Request, settings: Settings, token: str) -> str | None:
    binding = request.cookies.get(csrf.PRESESSION_COOKIE)
    if not csrf.is_valid(secret_key=settings.secret_key, binding=binding, submitted=token):
        raise PermissionDenied(csrf.REJECTED + " If it keeps happening, allow cookies for this site.")
    login.require_local_passwords(enabled=settings.local_passwords, provider_label=settings.oidc_label)
    return binding


@router.get("/sign-in/forgot-password")
def forgot_form(request: Request, settings: SettingsDep) -> Response:
    """Ask for the user name or e-mail of the account."""
    return _page(request, settings, stage="account")


@router.post("/sign-in/forgot-password")
def send_code(request: Request, session: SessionDep, settings: SettingsDep, account: FormText = "",
              csrf_token: FormText = "") -> Response:
    """Send a code to the account's e-mail on file (when it is a requester's); the same answer either way."""
    _check_form(request, settings, csrf_token)
    if not account.strip():
        return _page(request, settings, stage="account", problem="Enter your user name or e-mail address.",
                     status_code=422)
    client = login.client_address(request.client.host if request.client else "unknown",
                                  request.headers.get("x-forwarded-for"), settings.trusted_proxies)
    try:
        request_id = sign_in_reset.start(session, settings=settings, account=account, client=client,
                                         mailer=mailer_for(settings))
    except RateLimited as exc:
        return _page(request, settings, stage="account", problem=exc.message, status_code=429)
    return _page(request, settings, stage="code", request_id=request_id or 0)


@router.post("/sign-in/forgot-password/reset")
def reset(request: Request, session: SessionDep, settings: SettingsDep, reset_token: FormText = "",
          code: FormText = "", new_password: FormText = "", confirm_password: FormText = "",
          csrf_token: FormText = "") -> Response:
    """Check the code and run the approved reset; then back to the sign-in page."""
    binding = _check_form(request, settings, csrf_token)
    request_id = _request_id(settings, binding, reset_token)
    try:
        if new_password != confirm_password:
            raise InvalidInput("The two passwords are not the same; type the new password twice.")
        run = sign_in_reset.complete(session, settings=settings, request_id=request_id, code=code[:20],
                                     new_password=new_password)
    except InvalidInput as exc:
        # Returned, not raised: a wrong code's counted attempt is committed with the page.
        return _page(request, settings, stage="code", request_id=request_id, problem=exc.message, status_code=422,
                     needs_code=sign_in_reset.needs_code(session, request_id=request_id))
    if run.status is not RunStatus.SUCCEEDED:
        return _page(request, settings, stage="failed")
    return RedirectResponse("/sign-in?password_reset=1", status_code=303)
