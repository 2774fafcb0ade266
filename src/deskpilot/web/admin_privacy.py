"""The admin's privacy actions on a user's page: "Download personal data" (the same export as the API and the
CLI), and the erasure: a preview (dry run), the request, and another admin's approval (the same use cases as
the API)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from deskpilot.api.deps import IdPath, RuntimeDep, SessionDep, SettingsDep
from deskpilot.api.personal_data_download import personal_data_download
from deskpilot.errors import DomainError
from deskpilot.privacy import erasure
from deskpilot.privacy.export import find_person
from deskpilot.privacy.schemas import ErasureCreate
from deskpilot.privacy.sources import all_sources
from deskpilot.web.admin_forms import AdminFormViewer, FormText
from deskpilot.web.templating import render
from deskpilot.web.viewer import Viewer

router = APIRouter(include_in_schema=False)
USERS = "/admin/users"


@router.post(USERS + "/{user_id}/personal-data")
def download_personal_data(user_id: IdPath, session: SessionDep, settings: SettingsDep,
                           viewer: AdminFormViewer) -> FileResponse:
    return personal_data_download(session, settings=settings, actor=viewer.principal, user_id=user_id)


def _identifiers(text: str) -> list[str] | str:
    """The typed identifiers, one per line, or what is wrong with them."""
    try:
        return ErasureCreate(identifiers=[line for line in text.splitlines() if line.strip()]).identifiers
    except ValidationError as exc:
        return "Each identifier needs 3 to 200 characters, at most 20 of them: " + "; ".join(
            str(error["msg"]) for error in exc.errors())


def _erasure_page(request: Request, viewer: Viewer, context: dict[str, Any], status_code: int = 200) -> Response:
    return render(request, "admin/erasure_preview.html", context, viewer=viewer, section=USERS,
                  status_code=status_code)


@router.post(USERS + "/{user_id}/erasure/preview")
def preview_erasure(user_id: IdPath, request: Request, session: SessionDep, settings: SettingsDep,
                    runtime: RuntimeDep, viewer: AdminFormViewer, identifiers: FormText = "") -> Response:
    """The dry run: what the erasure would change, with the button that requests it."""
    person = find_person(session, reference=str(user_id))
    typed = _identifiers(identifiers)
    context: dict[str, Any] = {"user_id": user_id, "person": person, "identifiers": identifiers, "changes": [],
                               "notice": None, "problem": None}
    if isinstance(typed, str):
        return _erasure_page(request, viewer, context | {"problem": typed}, status_code=422)
    steps = erasure.ErasureContext(settings=settings, embedder=runtime.embedder, sources=all_sources())
    changes = erasure.plan(session, steps, actor=viewer.principal, person=person, identifiers=typed)
    return _erasure_page(request, viewer, context | {"changes": changes})


@router.post(USERS + "/{user_id}/erasures")
def request_erasure(user_id: IdPath, request: Request, session: SessionDep, viewer: AdminFormViewer,
                    identifiers: FormText = "") -> Response:
    person = find_person(session, reference=str(user_id))
    typed = _identifiers(identifiers)
    context: dict[str, Any] = {"user_id": user_id, "person": person, "identifiers": identifiers, "changes": [],
                               "notice": None, "problem": None}
    if isinstance(typed, str):
        return _erasure_page(request, viewer, context | {"problem": typed}, status_code=422)
    try:
        erasure.request(session, actor=viewer.principal, person=person, identifiers=typed)
    except DomainError as exc:
        session.rollback()
        return _erasure_page(request, viewer, context | {"problem": exc.message}, status_code=exc.status_code)
    return RedirectResponse(f"{USERS}/{user_id}?done=erasure_requested", status_code=303)


@router.post(USERS + "/{user_id}/erasures/{erasure_id}/approve")
def approve_erasure(user_id: IdPath, erasure_id: IdPath, request: Request, session: SessionDep,
                    viewer: AdminFormViewer) -> Response:
    try:
        erasure.approve(session, actor=viewer.principal, erasure_id=erasure_id)
    except DomainError as exc:
        session.rollback()
        return _refused(request, session, viewer, user_id=user_id, problem=exc.message, status_code=exc.status_code)
    return RedirectResponse(f"{USERS}/{user_id}?done=erasure_approved", status_code=303)


@router.post(USERS + "/{user_id}/erasures/{erasure_id}/cancel")
def cancel_erasure(user_id: IdPath, erasure_id: IdPath, request: Request, session: SessionDep,
                   viewer: AdminFormViewer) -> Response:
    try:
        erasure.cancel(session, actor=viewer.principal, erasure_id=erasure_id)
    except DomainError as exc:
        session.rollback()
        return _refused(request, session, viewer, user_id=user_id, problem=exc.message, status_code=exc.status_code)
    return RedirectResponse(f"{USERS}/{user_id}?done=erasure_cancelled", status_code=303)


def _refused(request: Request, session: Session, viewer: Viewer, *, user_id: int, problem: str,
             status_code: int) -> Response:
    person = find_person(session, reference=str(user_id))
    return _erasure_page(request, viewer, {"user_id": user_id, "person": person, "identifiers": "", "changes": [],
                                           "notice": None, "problem": problem}, status_code=status_code)
