"""Pages for canned responses (team leads and administrators, like the API's canned:manage): the list with a new
response form, and each response's edit form with a delete button. Every change goes through the canned-response
service, which validates (known placeholders, an existing queue, a title unique in its scope) and audits it. The
pages are not under /admin, the administrators' own area: team leads keep them too, from their menu."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, has
from deskpilot.api.deps import IdPath, SessionDep
from deskpilot.tickets import canned, setup
from deskpilot.tickets.canned_schemas import BODY_MAX, CannedResponseWrite
from deskpilot.web.admin_forms import FormText, field_errors, save_or_show
from deskpilot.web.forms import normalise
from deskpilot.web.templating import render
from deskpilot.web.viewer import PageGuard, Viewer

router = APIRouter(include_in_schema=False)
CANNED = "/canned-responses"
MANAGERS = PageGuard(lambda principal: has(principal, Permission.CANNED_MANAGE),
                     "Canned responses are managed by team leads and administrators; you can insert them into replies.")
ManagerViewer = Annotated[Viewer, Depends(MANAGERS.page)]
ManagerFormViewer = Annotated[Viewer, Depends(MANAGERS.form)]
BodyText = Annotated[str, Form(max_length=BODY_MAX * 2)]
_NOTICES = {"created": "The canned response was created: agents can insert it now.",
            "saved": "The canned response was saved.", "deleted": "The canned response was deleted."}


@dataclass
class CannedForm:
    title: str = ""
    body: str = ""
    queue_id: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def to_write(self) -> CannedResponseWrite | None:
        try:
            return CannedResponseWrite.model_validate({"title": self.title.strip(), "body": normalise(self.body),
                                                       "queue_id": self.queue_id or None})
        except ValidationError as exc:
            self.errors = field_errors(exc)
            return None


def _page(request: Request, session: Session, viewer: Viewer, *, form: CannedForm, editing: int | None = None,
          problem: str | None = None, notice: str | None = None, status_code: int = 200) -> Response:
    queues = setup.get_queues(session, actor=viewer.principal)
    return render(request, "admin/canned.html", {
        "responses": canned.get_all(session, actor=viewer.principal), "queues": queues,
        "queue_names": {q.id: q.name for q in queues}, "form": form, "editing": editing,
        "placeholders": ["{{" + name + "}}" for name in canned.PLACEHOLDERS], "problem": problem, "notice": notice,
    }, viewer=viewer, section=CANNED, status_code=status_code)


@router.get(CANNED)
def responses(request: Request, session: SessionDep, viewer: ManagerViewer, done: str = "") -> Response:
    return _page(request, session, viewer, form=CannedForm(), notice=_NOTICES.get(done))


@router.post(CANNED)
def create(request: Request, session: SessionDep, viewer: ManagerFormViewer, title: FormText = "",
           body: BodyText = "", queue_id: FormText = "") -> Response:
    form = CannedForm(title=title, body=body, queue_id=queue_id)
    return save_or_show(session, form.to_write(), lambda data: canned.create(
        session, actor=viewer.principal, data=data), lambda problem, status_code: _page(
        request, session, viewer, form=form, problem=problem, status_code=status_code), f"{CANNED}?done=created")


@router.get(CANNED + "/{response_id}")
def response(response_id: IdPath, request: Request, session: SessionDep, viewer: ManagerViewer) -> Response:
    found = canned.get(session, actor=viewer.principal, response_id=response_id)
    form = CannedForm(title=found.title, body=found.body, queue_id=str(found.queue_id or ""))
    return _page(request, session, viewer, form=form, editing=response_id)


@router.post(CANNED + "/{response_id}")
def update(response_id: IdPath, request: Request, session: SessionDep, viewer: ManagerFormViewer,
           title: FormText = "", body: BodyText = "", queue_id: FormText = "") -> Response:
    form = CannedForm(title=title, body=body, queue_id=queue_id)
    return save_or_show(session, form.to_write(), lambda data: canned.update(
        session, actor=viewer.principal, response_id=response_id, data=data), lambda problem, status_code: _page(
        request, session, viewer, form=form, editing=response_id, problem=problem, status_code=status_code),
        f"{CANNED}?done=saved")


@router.post(CANNED + "/{response_id}/delete")
def delete(response_id: IdPath, session: SessionDep, viewer: ManagerFormViewer) -> Response:
    canned.delete(session, actor=viewer.principal, response_id=response_id)
    return RedirectResponse(f"{CANNED}?done=deleted", status_code=303)
