"""Admin pages for users: list, create (with a one-time initial password), role and teams, deactivate and
reactivate, reset password, and their API tokens. Every change goes through the accounts service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.enums import Role
from deskpilot.accounts.schemas import UserUpdate
from deskpilot.api.deps import IdPath, SessionDep
from deskpilot.clock import utcnow
from deskpilot.errors import DomainError
from deskpilot.privacy import erasure
from deskpilot.privacy.sources import all_sources
from deskpilot.web.admin_forms import (
    AdminFormViewer,
    AdminViewer,
    FormIds,
    FormText,
    UserForm,
    initial_password,
    user_update,
)
from deskpilot.web.templating import render
from deskpilot.web.viewer import ROLE_LABELS, Viewer

router = APIRouter(include_in_schema=False)
USERS = "/admin/users"
USERS_SHOWN = 500
ROLES = [(role.value, ROLE_LABELS[role]) for role in Role]
_NOTICES = {"updated": "The user's name, role and teams were saved.",
            "deactivated": "The user was deactivated: their sessions ended and their API tokens were revoked.",
            "reactivated": "The user was reactivated. They need a new password or token to sign in again.",
            "revoked": "The token was revoked: it no longer signs anything in.",
            "erasure_requested": "The erasure was requested. Another administrator must approve it below.",
            "erasure_approved": "The erasure was approved. The background worker erases the person step by step.",
            "erasure_cancelled": "The erasure request was cancelled; nothing was erased."}


def _users_page(request: Request, session: Session, viewer: Viewer, *, form: UserForm, problem: str | None = None,
                created: dict[str, str] | None = None, status_code: int = 200) -> Response:
    users, total = accounts.get_all(session, actor=viewer.principal, limit=USERS_SHOWN)
    return render(request, "admin/users.html", {
        "users": users, "total": total, "teams": accounts.get_teams(session, actor=viewer.principal),
        "roles": ROLES, "role_labels": ROLE_LABELS, "form": form, "problem": problem, "created": created,
    }, viewer=viewer, status_code=status_code)


@router.get(USERS)
def users(request: Request, session: SessionDep, viewer: AdminViewer) -> Response:
    return _users_page(request, session, viewer, form=UserForm())


@router.post(USERS)
def create_user(request: Request, session: SessionDep, viewer: AdminFormViewer, username: FormText = "",
                email: FormText = "", full_name: FormText = "", role: FormText = "", password: FormText = "",
                team_ids: FormIds = None) -> Response:
    """Create a user; without a typed password an initial one is generated and shown on this answer only."""
    form = UserForm(username=username, email=email, full_name=full_name, role=role, password=password,
                    team_ids=team_ids or [])
    parsed = form.to_user()
    if parsed is None:
        return _users_page(request, session, viewer, form=form, status_code=422)
    data, generated = parsed
    try:
        user = accounts.create(session, actor=viewer.principal, data=data)
    except DomainError as exc:
        session.rollback()
        form.password = ""
        return _users_page(request, session, viewer, form=form, problem=exc.message, status_code=exc.status_code)
    created = {"username": user.username, "href": f"{USERS}/{user.id}"}
    if generated:
        created["password"] = generated
    return _users_page(request, session, viewer, form=UserForm(), created=created, status_code=201)


def _user_page(request: Request, session: Session, viewer: Viewer, *, user_id: int, problem: str | None = None,
               notice: str | None = None, new_password: str | None = None, errors: dict[str, str] | None = None,
               typed: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    user = accounts.get(session, user_id=user_id)
    now = utcnow()
    edit = typed or {"full_name": user.full_name, "role": user.role.value, "team_ids": {str(t.id) for t in user.teams},
                     "is_vip": user.is_vip}
    context: dict[str, Any] = {
        "user": user, "roles": ROLES, "role_labels": ROLE_LABELS, "problem": problem, "notice": notice,
        "teams": accounts.get_teams(session, actor=viewer.principal), "edit": edit,
        "tokens": accounts.get_tokens(session, actor=viewer.principal, user_id=user_id), "now": now,
        "new_password": new_password, "errors": errors or {},
        "erasures": erasure.of_user(session, actor=viewer.principal, user_id=user_id),
        "erasure_steps": len(erasure.steps_of(all_sources())),
    }
    return render(request, "admin/user.html", context, viewer=viewer, section=USERS, status_code=status_code)


@router.get(USERS + "/{user_id}")
def user(user_id: IdPath, request: Request, session: SessionDep, viewer: AdminViewer, done: str = "") -> Response:
    return _user_page(request, session, viewer, user_id=user_id, notice=_NOTICES.get(done))


def _change(request: Request, session: Session, viewer: Viewer, *, user_id: int, data: UserUpdate,
            done: str) -> Response:
    """Apply `data`; a refusal (the last administrator, an unknown team) is shown on the user's page."""
    try:
        accounts.update(session, actor=viewer.principal, user_id=user_id, data=data)
    except DomainError as exc:
        session.rollback()
        return _user_page(request, session, viewer, user_id=user_id, problem=exc.message,
                          status_code=exc.status_code)
    return RedirectResponse(f"{USERS}/{user_id}?done={done}", status_code=303)


@router.post(USERS + "/{user_id}")
def update_user(user_id: IdPath, request: Request, session: SessionDep, viewer: AdminFormViewer,
                full_name: FormText = "", role: FormText = "", team_ids: FormIds = None,
                is_vip: FormText = "") -> Response:
    """Save the edit form; an unticked VIP box (sent as nothing) takes the flag off."""
    data = user_update(full_name=full_name, role=role, team_ids=team_ids, is_vip=is_vip == "on")
    if isinstance(data, dict):
        typed = {"full_name": full_name, "role": role, "team_ids": set(team_ids or []), "is_vip": is_vip == "on"}
        return _user_page(request, session, viewer, user_id=user_id, errors=data, typed=typed, status_code=422,
                          problem="The user was not changed: correct the fields marked below.")
    return _change(request, session, viewer, user_id=user_id, data=data, done="updated")


@router.post(USERS + "/{user_id}/deactivate")
def deactivate_user(user_id: IdPath, request: Request, session: SessionDep, viewer: AdminFormViewer) -> Response:
    return _change(request, session, viewer, user_id=user_id, data=UserUpdate(is_active=False), done="deactivated")


@router.post(USERS + "/{user_id}/reactivate")
def reactivate_user(user_id: IdPath, request: Request, session: SessionDep, viewer: AdminFormViewer) -> Response:
    return _change(request, session, viewer, user_id=user_id, data=UserUpdate(is_active=True), done="reactivated")


@router.post(USERS + "/{user_id}/password")
def reset_password(user_id: IdPath, request: Request, session: SessionDep, viewer: AdminFormViewer) -> Response:
    """Set a generated password, shown on this answer only, for the administrator to hand over."""
    password = initial_password()
    accounts.set_password(session, actor=viewer.principal, user_id=user_id, password=password)
    return _user_page(request, session, viewer, user_id=user_id, new_password=password)


@router.post(USERS + "/{user_id}/tokens/{token_id}/revoke")
def revoke_token(user_id: IdPath, token_id: IdPath, session: SessionDep, viewer: AdminFormViewer) -> Response:
    accounts.revoke_token(session, actor=viewer.principal, user_id=user_id, token_id=token_id)
    return RedirectResponse(f"{USERS}/{user_id}?done=revoked", status_code=303)
