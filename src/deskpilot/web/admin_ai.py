"""The admin page of AI settings: each threshold and knob with its value in force and where it comes from
(default, environment, administrator); a change is validated, versioned, audited and in force in every process
at its next request. The same service as /api/v1/admin/ai-settings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, has
from deskpilot.api.deps import SessionDep, get_settings
from deskpilot.errors import DomainError
from deskpilot.governance import ai_settings
from deskpilot.web.admin_forms import FormIds, FormText
from deskpilot.web.templating import render
from deskpilot.web.viewer import PageGuard, Viewer

router = APIRouter(include_in_schema=False)
AI_SETTINGS = "/admin/ai-settings"
SETTINGS = PageGuard(lambda principal: has(principal, Permission.SETTINGS_MANAGE),
                     "The desk's settings are for administrators.")
SettingsViewer = Annotated[Viewer, Depends(SETTINGS.page)]
SettingsFormViewer = Annotated[Viewer, Depends(SETTINGS.form)]


def _page(request: Request, session: Session, viewer: Viewer, *, problem: str | None = None,
          failed: str | None = None, typed: str = "", notice: str | None = None, status_code: int = 200) -> Response:
    return render(request, "admin/ai_settings.html", {
        "items": ai_settings.listing(session, actor=viewer.principal, settings=get_settings(request)),
        "triage_fields": ai_settings.TRIAGE_FIELDS, "problem": problem, "failed": failed, "typed": typed,
        "notice": notice}, viewer=viewer, status_code=status_code)


@router.get(AI_SETTINGS)
def ai_settings_page(request: Request, session: SessionDep, viewer: SettingsViewer, changed: str = "") -> Response:
    knob = ai_settings.BY_NAME.get(changed)
    notice = f"{knob.label} was changed; every app process uses it from its next request." if knob else None
    return _page(request, session, viewer, notice=notice)


@router.post(AI_SETTINGS + "/{name}")
def change(request: Request, name: Annotated[str, Path(max_length=80)], session: SessionDep,
           viewer: SettingsFormViewer, value: FormText = "", fields: FormIds = None, reason: FormText = "",
           action: Annotated[str, Form(pattern="^(set|reset)$")] = "set") -> Response:
    """Set the value typed (or chosen), or take the override back (`action=reset`)."""
    typed = ",".join(fields or []) if name == "triage_auto_apply" else value
    try:
        new: Any = None if action == "reset" else ai_settings.parse(name, typed)
        ai_settings.change_ai_setting(session, actor=viewer.principal, runtime=request.app.state.runtime, name=name,
                                      value=new, reason=reason)
    except DomainError as exc:
        session.rollback()
        return _page(request, session, viewer, problem=exc.message, failed=name, typed=typed,
                     status_code=exc.status_code)
    return RedirectResponse(f"{AI_SETTINGS}?changed={name}#setting-{name}", status_code=303)
