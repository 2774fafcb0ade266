"""/api/v1/tickets/{id}/attachments: files on a ticket, listed, uploaded and downloaded safely."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile, status
from fastapi.responses import Response

from deskpilot.api.deps import CurrentPrincipal, IdPath, SessionDep, SettingsDep
from deskpilot.api.uploads import read_upload
from deskpilot.tickets import attachments
from deskpilot.tickets.enums import Channel
from deskpilot.tickets.schemas import AttachmentRead

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])


@router.get("/{ticket_id}/attachments", operation_id="list_ticket_attachments")
def list_attachments(ticket_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> list[AttachmentRead]:
    """The ticket's files the caller may see (requesters never see files on internal notes)."""
    return [AttachmentRead.model_validate(a) for a in attachments.visible(session, actor=actor, ticket_id=ticket_id)]


@router.post("/{ticket_id}/attachments", status_code=status.HTTP_201_CREATED, operation_id="add_ticket_attachment")
def add_attachment(ticket_id: IdPath, file: Annotated[UploadFile, File(description="The file to attach.")],
                   session: SessionDep, actor: CurrentPrincipal, settings: SettingsDep,
                   internal: Annotated[bool, Form(description="Staff only: visible to staff, not the requester.")]
                   = False) -> AttachmentRead:
    """Attach a file (at most DESKPILOT_ATTACHMENT_MAX_BYTES; programs and scripts are refused)."""
    upload = read_upload(file, max_bytes=settings.attachment_max_bytes)
    added = attachments.add(session, actor=actor, data_dir=settings.data_dir, max_bytes=settings.attachment_max_bytes,
                            ticket_id=ticket_id, upload=upload, channel=Channel.API, internal=internal)
    return AttachmentRead.model_validate(added)


@router.get("/{ticket_id}/attachments/{attachment_id}", operation_id="download_ticket_attachment",
            response_class=Response, responses={200: {"content": {"application/octet-stream": {}}}})
def download_attachment(ticket_id: IdPath, attachment_id: IdPath, session: SessionDep, actor: CurrentPrincipal,
                        settings: SettingsDep, inline: Annotated[bool, Query()] = False) -> Response:
    """The file: downloaded as an opaque file unless it is a passive type (image, PDF, text) asked `inline`."""
    return file_response(attachments.download(session, actor=actor, data_dir=settings.data_dir, ticket_id=ticket_id,
                                               attachment_id=attachment_id, inline=inline))


def file_response(found: attachments.Download) -> Response:
    """A stored file with headers that keep the browser from running or guessing anything in it."""
    return Response(found.content, media_type=found.media_type, headers={
        "Content-Disposition": found.disposition, "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox", "Cache-Control": "private, no-store"})
