"""/api/v1/mail/unfiled: mail that did not become a ticket, and filing, attaching or discarding it."""

from __future__ import annotations

from fastapi import APIRouter

from deskpilot.api.deps import CurrentPrincipal, IdPath, RuntimeDep, SessionDep
from deskpilot.channels.email import unfiled
from deskpilot.channels.email.models import InboundMail
from deskpilot.channels.email.schemas import AttachMailRequest, FileMailRequest, UnfiledMailRead

router = APIRouter(prefix="/api/v1/mail/unfiled", tags=["mail"])


def to_read(mail: InboundMail) -> UnfiledMailRead:
    return UnfiledMailRead(id=mail.id, status=mail.status, reason=mail.error or "", from_address=mail.from_address,
                           subject=mail.subject, body_text=mail.body_text, received_at=mail.received_at,
                           ticket_id=mail.ticket_id)


@router.get("", operation_id="list_unfiled_mail")
def list_unfiled_mail(session: SessionDep, actor: CurrentPrincipal) -> list[UnfiledMailRead]:
    """Received mail that is not on a ticket, newest first, with the reason."""
    return [to_read(m) for m in unfiled.get_all(session, actor=actor)]


@router.post("/{inbound_id}/file", operation_id="file_unfiled_mail")
def file_unfiled_mail(inbound_id: IdPath, data: FileMailRequest, session: SessionDep, actor: CurrentPrincipal,
                      ai: RuntimeDep) -> UnfiledMailRead:
    """Open a ticket from the mail for the given requester."""
    return to_read(unfiled.file_as_ticket(session, actor=actor, settings=ai.settings, triage=ai.triage,
                                          inbound_id=inbound_id,
                                          requester_id=data.requester_id))


@router.post("/{inbound_id}/attach", operation_id="attach_unfiled_mail")
def attach_unfiled_mail(inbound_id: IdPath, data: AttachMailRequest, session: SessionDep,
                        actor: CurrentPrincipal) -> UnfiledMailRead:
    """Add the mail to an existing ticket as an internal note."""
    return to_read(unfiled.attach_to_ticket(session, actor=actor, inbound_id=inbound_id, ticket_id=data.ticket_id))


@router.post("/{inbound_id}/discard", operation_id="discard_unfiled_mail")
def discard_unfiled_mail(inbound_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> UnfiledMailRead:
    """Mark the mail handled without a ticket; its bytes stay stored."""
    return to_read(unfiled.discard(session, actor=actor, inbound_id=inbound_id))
