"""The console's unfiled mail: why each mail is not on a ticket, and file / attach / discard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from deskpilot.api.deps import IdPath, RuntimeDep, SessionDep
from deskpilot.channels.email import unfiled
from deskpilot.web.templating import render
from deskpilot.web.viewer import FormViewer, StaffViewer

router = APIRouter(include_in_schema=False)
_ID = Annotated[int, Form(ge=1, le=2_147_483_647)]


@router.get("/console/mail")
def unfiled_mail(request: Request, session: SessionDep, viewer: StaffViewer) -> Response:
    """Mail that did not become a ticket, newest first, with the reason and the three actions."""
    return render(request, "console/mail.html", {"mails": unfiled.get_all(session, actor=viewer.principal)},
                  viewer=viewer)


@router.post("/console/mail/{inbound_id}/file")
def file_mail(inbound_id: IdPath, session: SessionDep, ai: RuntimeDep, viewer: FormViewer,
              requester_id: _ID) -> Response:
    mail = unfiled.file_as_ticket(session, actor=viewer.principal, settings=ai.settings, triage=ai.triage,
                                  inbound_id=inbound_id,
                                  requester_id=requester_id)
    return RedirectResponse(f"/console/tickets/{mail.ticket_id}", status_code=303)


@router.post("/console/mail/{inbound_id}/attach")
def attach_mail(inbound_id: IdPath, session: SessionDep, viewer: FormViewer, ticket_id: _ID) -> Response:
    mail = unfiled.attach_to_ticket(session, actor=viewer.principal, inbound_id=inbound_id, ticket_id=ticket_id)
    return RedirectResponse(f"/console/tickets/{mail.ticket_id}", status_code=303)


@router.post("/console/mail/{inbound_id}/discard")
def discard_mail(inbound_id: IdPath, session: SessionDep, viewer: FormViewer) -> Response:
    unfiled.discard(session, actor=viewer.principal, inbound_id=inbound_id)
    return RedirectResponse("/console/mail", status_code=303)
