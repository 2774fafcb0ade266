"""/api/v1/conversations/{id}/attachments: files the requester sends in a chat (a screenshot, a log)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile, status
from fastapi.responses import Response

from deskpilot.api.deps import CurrentPrincipal, IdPath, SessionDep, SettingsDep
from deskpilot.api.routes.ticket_attachments import file_response
from deskpilot.api.uploads import read_upload
from deskpilot.conversations import attachments
from deskpilot.tickets.schemas import AttachmentRead

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


@router.get("/{conversation_id}/attachments", operation_id="list_conversation_attachments")
def list_attachments(conversation_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> list[AttachmentRead]:
    """The files sent in the conversation."""
    return [AttachmentRead.model_validate(a) for a in attachments.of(session, actor=actor,
                                                                     conversation_id=conversation_id)]


@router.post("/{conversation_id}/attachments", status_code=status.HTTP_201_CREATED,
             operation_id="add_conversation_attachment")
def add_attachment(conversation_id: IdPath, file: Annotated[UploadFile, File(description="The file to send.")],
                   session: SessionDep, actor: CurrentPrincipal, settings: SettingsDep) -> AttachmentRead:
    """Send a file in your conversation; it goes onto the ticket the conversation has or opens."""
    upload = read_upload(file, max_bytes=settings.attachment_max_bytes)
    added = attachments.add(session, actor=actor, data_dir=settings.data_dir, max_bytes=settings.attachment_max_bytes,
                            conversation_id=conversation_id, upload=upload)
    return AttachmentRead.model_validate(added)


@router.get("/{conversation_id}/attachments/{attachment_id}", operation_id="download_conversation_attachment",
            response_class=Response, responses={200: {"content": {"application/octet-stream": {}}}})
def download_attachment(conversation_id: IdPath, attachment_id: IdPath, session: SessionDep, actor: CurrentPrincipal,
                        settings: SettingsDep, inline: Annotated[bool, Query()] = False) -> Response:
    """The file, served like a ticket's files."""
    return file_response(attachments.download(session, actor=actor, data_dir=settings.data_dir,
                                              conversation_id=conversation_id, attachment_id=attachment_id,
                                              inline=inline))
