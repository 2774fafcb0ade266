"""Attaching a file to a ticket from its page (portal or console) or sending one in a chat; downloads use the
API's address, which takes the session cookie like every page. A refused file shows the error page with the
reason."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse

from deskpilot.api.deps import IdPath, SessionDep
from deskpilot.api.uploads import read_upload
from deskpilot.conversations import attachments as chat_files
from deskpilot.tickets import attachments
from deskpilot.tickets.enums import Channel
from deskpilot.web.viewer import FormViewer

router = APIRouter(include_in_schema=False)


@router.post("/tickets/{ticket_id}/files")
def attach_file(request: Request, ticket_id: IdPath, session: SessionDep, viewer: FormViewer,
                file: Annotated[UploadFile, File()], internal: Annotated[bool, Form()] = False,
                back: Annotated[Literal["portal", "console"], Form()] = "portal") -> RedirectResponse:
    settings = request.app.state.settings
    upload = read_upload(file, max_bytes=settings.attachment_max_bytes)
    added = attachments.add(session, actor=viewer.principal, data_dir=settings.data_dir,
                            max_bytes=settings.attachment_max_bytes, ticket_id=ticket_id, upload=upload,
                            channel=Channel.PORTAL, internal=internal)
    page = f"/console/tickets/{ticket_id}" if back == "console" else f"/tickets/{ticket_id}"
    return RedirectResponse(f"{page}#attachment-{added.id}", status_code=303)


@router.post("/chat/{conversation_id}/files")
def send_file(request: Request, conversation_id: IdPath, session: SessionDep, viewer: FormViewer,
              file: Annotated[UploadFile, File()]) -> RedirectResponse:
    settings = request.app.state.settings
    upload = read_upload(file, max_bytes=settings.attachment_max_bytes)
    chat_files.add(session, actor=viewer.principal, data_dir=settings.data_dir, max_bytes=settings.attachment_max_bytes,
                   conversation_id=conversation_id, upload=upload)
    return RedirectResponse(f"/chat/{conversation_id}#latest", status_code=303)
