"""Single sign-on pages: /sign-in/sso sends the browser to the identity provider, /sign-in/sso/callback lets
the person in on a checked ID token. The attempt's state, nonce and PKCE verifier travel in a short-lived
cookie signed with the desk's secret, so any app process can finish what another started."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from deskpilot.accounts import login, oidc, sso
from deskpilot.accounts.principal import Principal
from deskpilot.api.deps import SESSION_COOKIE, SessionDep, SettingsDep
from deskpilot.config import Settings
from deskpilot.errors import DomainError, NotFound
from deskpilot.web.auth_pages import SSO_SESSION_COOKIE, safe_next, sign_in_page
from deskpilot.web.navigation import landing_path
from deskpilot.web.viewer import Viewer

router = APIRouter(include_in_schema=False)
ATTEMPT_COOKIE = "deskpilot_sso_attempt"
ATTEMPT_SECONDS = 600
CALLBACK = "/sign-in/sso/callback"


def _sign(settings: Settings, payload: dict[str, str]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
    mac = hmac.new(settings.secret_key.encode(), f"sso:{body}".encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def _unsign(settings: Settings, value: str | None) -> dict[str, str] | None:
    body, _, mac = (value or "").partition(".")
    expected = hmac.new(settings.secret_key.encode(), f"sso:{body}".encode(), hashlib.sha256).hexdigest()
    if not body or not hmac.compare_digest(expected, mac):
        return None
    payload: dict[str, str] = json.loads(base64.urlsafe_b64decode(body))
    return payload


def _configured(settings: Settings) -> None:
    if not oidc.is_configured(settings):
        raise NotFound("Single sign-on is not set up on this desk (DESKPILOT_OIDC_ISSUER, DESKPILOT_OIDC_CLIENT_ID).")


@router.get("/sign-in/sso")
def start(settings: SettingsDep, next: str = "") -> Response:
    _configured(settings)
    attempt = oidc.start(settings, oidc.discover(settings), redirect_uri=settings.base_url.rstrip("/") + CALLBACK)
    response = RedirectResponse(attempt.url, status_code=303)
    response.set_cookie(ATTEMPT_COOKIE, _sign(settings, {
        "state": attempt.state, "nonce": attempt.nonce, "verifier": attempt.verifier,
        "next": safe_next(next) or ""}), max_age=ATTEMPT_SECONDS, httponly=True, samesite="lax",
        secure=settings.uses_https)
    return response


@router.get(CALLBACK)
def callback(request: Request, session: SessionDep, settings: SettingsDep, code: str = "", state: str = "",
             error: str = "", error_description: str = "") -> Response:
    _configured(settings)
    attempt = _unsign(settings, request.cookies.get(ATTEMPT_COOKIE))
    problem = None
    if error:
        problem = f"The identity provider said: {error_description or error}."
    elif attempt is None or not code or not hmac.compare_digest(attempt["state"], state):
        problem = "This sign-in link has expired or was not started here; start again."
    if problem is not None or attempt is None:
        return sign_in_page(request, settings, next_path="", problem=problem, status_code=401)
    try:
        provider = oidc.discover(settings)
        identity = oidc.finish(settings, provider, code=code, verifier=attempt["verifier"], nonce=attempt["nonce"],
                               redirect_uri=settings.base_url.rstrip("/") + CALLBACK)
        user = sso.sign_in(session, identity=identity, role_groups=settings.oidc_role_groups,
                           team_groups=settings.oidc_team_groups)
    except DomainError as exc:
        return sign_in_page(request, settings, next_path="", problem=exc.message, status_code=exc.status_code)
    secret = login.open_session(session, user=user, hours=settings.session_hours)
    viewer = Viewer(principal=Principal.of(user), name=user.full_name, session_secret=secret)
    response = RedirectResponse(attempt["next"] or landing_path(viewer), status_code=303)
    response.set_cookie(SESSION_COOKIE, secret, httponly=True, samesite="lax", max_age=settings.session_hours * 3600,
                        secure=settings.uses_https)
    response.set_cookie(SSO_SESSION_COOKIE, "1", httponly=True, samesite="lax",
                        max_age=settings.session_hours * 3600, secure=settings.uses_https)
    response.delete_cookie(ATTEMPT_COOKIE)
    return response


@router.get("/sign-in/sso/sign-out")
def provider_sign_out(settings: SettingsDep) -> Response:
    """On to the provider's end-session page, which comes back to the sign-in page; or straight there when the
    provider publishes none."""
    _configured(settings)
    after = settings.base_url.rstrip("/") + "/sign-in?signed_out=1"
    return RedirectResponse(oidc.sign_out_url(oidc.discover(settings), settings, after=after) or after,
                            status_code=303)
