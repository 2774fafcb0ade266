"""Sign-in and sign-out pages, on the same web sessions and rate limit as the API's /auth/login."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from deskpilot.accounts import login, oidc
from deskpilot.accounts.principal import Principal
from deskpilot.api.deps import SESSION_COOKIE, SessionDep, SettingsDep
from deskpilot.config import Settings
from deskpilot.errors import NotAuthenticated, PermissionDenied, RateLimited
from deskpilot.web import csrf
from deskpilot.web.navigation import landing_path
from deskpilot.web.templating import render
from deskpilot.web.viewer import FormViewer, Viewer

router = APIRouter(include_in_schema=False)
# Set beside the session cookie by a single sign-on, so signing out also ends the provider's session.
SSO_SESSION_COOKIE = "deskpilot_sso"
FormText = Annotated[str, Form()]


def safe_next(path: str) -> str | None:
    """`path` if it is a local page to return to after signing in; never another site (open redirect)."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path or any(ord(c) < 32 for c in path):
        return None
    return path


def sign_in_page(request: Request, settings: Settings, *, next_path: str, username: str = "",
                 problem: str | None = None, notice: str | None = None, status_code: int = 200,
                 offer_provider_sign_out: bool = False) -> Response:
    binding = request.cookies.get(csrf.PRESESSION_COOKIE) or csrf.new_presession_secret()
    response = render(request, "auth/sign_in.html", {
        "username": username, "next_path": next_path, "problem": problem, "notice": notice,
        "show_human_link": False,  # it would lead straight back here
        "sso_label": settings.oidc_label if oidc.is_configured(settings) else None,
        "local_passwords": settings.local_passwords, "offer_provider_sign_out": offer_provider_sign_out,
        "presession_token": csrf.token_for(secret_key=settings.secret_key, binding=binding),
    }, viewer=None, status_code=status_code)
    response.set_cookie(csrf.PRESESSION_COOKIE, binding, httponly=True, samesite="lax",
                        secure=settings.uses_https)
    return response


@router.get("/sign-in")
def sign_in_form(request: Request, settings: SettingsDep, session: SessionDep, next: str = "",
                 signed_out: bool = False, sso: bool = False, password_reset: bool = False) -> Response:
    secret = request.cookies.get(SESSION_COOKIE)
    user = login.user_for_session(session, secret=secret) if secret else None
    if user is not None and secret is not None:
        viewer = Viewer(principal=Principal.of(user), name=user.full_name, session_secret=secret)
        return RedirectResponse(safe_next(next) or landing_path(viewer), status_code=303)
    notice = "You are signed out." if signed_out else None
    if password_reset:
        notice = "Your password has been reset. Sign in with the new one."
    return sign_in_page(request, settings, next_path=safe_next(next) or "", notice=notice,
                        offer_provider_sign_out=signed_out and sso and oidc.is_configured(settings))


@router.post("/sign-in")
def sign_in(request: Request, session: SessionDep, settings: SettingsDep, username: FormText = "",
            password: FormText = "", next: FormText = "", csrf_token: FormText = "") -> Response:
    """Check the password (rate-limited per user and address), open a session and go where the user was headed."""
    binding = request.cookies.get(csrf.PRESESSION_COOKIE)
    if not csrf.is_valid(secret_key=settings.secret_key, binding=binding, submitted=csrf_token):
        raise PermissionDenied(csrf.REJECTED + " If it keeps happening, allow cookies for this site.")
    login.require_local_passwords(enabled=settings.local_passwords, provider_label=settings.oidc_label)
    next_path = safe_next(next) or ""
    if not username.strip() or not password:
        return sign_in_page(request, settings, next_path=next_path, username=username, status_code=422,
                             problem="Enter your username and your password.")
    client = login.client_address(request.client.host if request.client else "unknown",
                                  request.headers.get("x-forwarded-for"), settings.trusted_proxies)
    try:
        if len(username) > 64 or len(password) > 256 or "\x00" in username + password:
            raise NotAuthenticated("Unknown username or wrong password.")
        user = login.authenticate(session, username=username.strip(), password=password, client=client,
                                  per_account=settings.login_attempts_per_minute,
                                  per_client=settings.login_attempts_per_client_per_minute)
    except (NotAuthenticated, RateLimited) as exc:
        # Returning (not raising) commits the recorded failed attempt, so the rate limit keeps counting.
        return sign_in_page(request, settings, next_path=next_path, username=username[:64],
                             problem=exc.message, status_code=exc.status_code)
    secret = login.open_session(session, user=user, hours=settings.session_hours)
    viewer = Viewer(principal=Principal.of(user), name=user.full_name, session_secret=secret)
    response = RedirectResponse(next_path or landing_path(viewer), status_code=303)
    response.set_cookie(SESSION_COOKIE, secret, httponly=True, samesite="lax", max_age=settings.session_hours * 3600,
                        secure=settings.uses_https)
    response.delete_cookie(csrf.PRESESSION_COOKIE)
    return response


@router.post("/sign-out")
def sign_out(request: Request, session: SessionDep, viewer: FormViewer) -> Response:
    """End the desk's session. After a single sign-on the sign-in page offers to end the provider's session too
    (a link: the pages' CSP lets forms lead only to this site)."""
    login.close_session(session, secret=viewer.session_secret)
    sso = bool(request.cookies.get(SSO_SESSION_COOKIE))
    response = RedirectResponse("/sign-in?signed_out=1" + ("&sso=1" if sso else ""), status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(SSO_SESSION_COOKIE)
    return response
