"""My account: my API tokens (create – the secret shown once –, see last use, revoke) and my password."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.models import TOKEN_MAX_ACTIVE, TOKEN_MAX_DAYS
from deskpilot.accounts.schemas import TokenIssued, TokenRead
from deskpilot.api.deps import IdPath, SessionDep, SettingsDep
from deskpilot.clock import utcnow
from deskpilot.errors import Conflict, InvalidInput, PermissionDenied
from deskpilot.web.templating import render
from deskpilot.web.viewer import FormViewer, Viewer, ViewerDep

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]
PATH = "/account"
NAME_MAX = 120


@dataclass
class TokenForm:
    """The "New API token" form as typed, with what to fix."""

    name: str = ""
    days: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def parsed(self) -> tuple[str, int] | None:
        """The token's name and lifetime in days, or None with `errors` filled in."""
        name = self.name.strip()
        if not name:
            self.errors["name"] = "Name the token after what uses it, for example “backup script”."
        elif len(name) > NAME_MAX or any(ord(c) < 32 for c in name):
            self.errors["name"] = f"Use at most {NAME_MAX} characters and no control characters."
        days = int(self.days) if self.days.strip().isdigit() and len(self.days) < 6 else 0
        if not 1 <= days <= TOKEN_MAX_DAYS:
            self.errors["expires_in_days"] = f"Enter a whole number of days from 1 to {TOKEN_MAX_DAYS}."
        return None if self.errors else (name, days)


def _page(request: Request, session: Session, viewer: Viewer, *, form: TokenForm, issued: TokenIssued | None = None,
          password_problem: str | None = None, notice: str | None = None, status_code: int = 200) -> Response:
    now = utcnow()
    tokens = accounts.get_tokens(session, actor=viewer.principal, user_id=viewer.user_id)
    context: dict[str, Any] = {
        "tokens": [TokenRead.of(t, now=now) for t in tokens], "form": form, "issued": issued,
        "password_problem": password_problem, "notice": notice, "max_days": TOKEN_MAX_DAYS,
        "max_active": TOKEN_MAX_ACTIVE,
    }
    return render(request, "account/index.html", context, viewer=viewer, status_code=status_code)


@router.get(PATH)
def account(request: Request, session: SessionDep, viewer: ViewerDep, settings: SettingsDep, revoked: bool = False,
            password_changed: bool = False) -> Response:
    notice = ("The token was revoked: it no longer signs anything in." if revoked else
              "Your password was changed. Your other sessions were signed out." if password_changed else None)
    return _page(request, session, viewer, form=TokenForm(days=str(settings.api_token_days)), notice=notice)


@router.post(f"{PATH}/tokens")
def create_token(request: Request, session: SessionDep, viewer: FormViewer, name: FormText = "",
                 expires_in_days: FormText = "") -> Response:
    """Issue a token and show its secret on this one answer (the page is never cached)."""
    form = TokenForm(name=name, days=expires_in_days)
    parsed = form.parsed()
    if parsed is None:
        return _page(request, session, viewer, form=form, status_code=422)
    name, days = parsed
    try:
        token, secret = accounts.issue_token(session, actor=viewer.principal, user_id=viewer.user_id,
                                             name=name, expires_in_days=days)
    except Conflict as exc:
        form.errors["name"] = exc.message
        return _page(request, session, viewer, form=form, status_code=exc.status_code)
    issued = TokenIssued(id=token.id, name=token.name, token=secret, expires_at=token.expires_at)
    return _page(request, session, viewer, form=TokenForm(days=form.days), issued=issued, status_code=201)


@router.post(PATH + "/tokens/{token_id}/revoke")
def revoke_token(token_id: IdPath, session: SessionDep, viewer: FormViewer) -> Response:
    accounts.revoke_token(session, actor=viewer.principal, user_id=viewer.user_id, token_id=token_id)
    return RedirectResponse(f"{PATH}?revoked=1", status_code=303)


@router.post(f"{PATH}/password")
def change_password(request: Request, session: SessionDep, viewer: FormViewer, settings: SettingsDep,
                    current_password: FormText = "", new_password: FormText = "",
                    confirm_password: FormText = "") -> Response:
    """Change my password; my other sessions end. Problems are shown on the page (a refusal stays audited)."""
    form = TokenForm(days=str(settings.api_token_days))
    if not current_password or not new_password:
        problem, status_code = "Enter your current password and a new one.", 422
    elif new_password != confirm_password:
        problem, status_code = "The new password and its confirmation differ; type them again.", 422
    else:
        try:
            accounts.change_own_password(session, actor=viewer.principal, current_password=current_password,
                                         new_password=new_password, keep_session=viewer.session_secret)
            return RedirectResponse(f"{PATH}?password_changed=1", status_code=303)
        except (PermissionDenied, InvalidInput, Conflict) as exc:
            # Returning (not raising) commits the audited refusal.
            problem, status_code = exc.message, exc.status_code
    return _page(request, session, viewer, form=form, password_problem=problem, status_code=status_code)
