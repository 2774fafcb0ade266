"""Files sent in a chat (a screenshot of the error, a log): checked and stored like any ticket file, shown in
the transcript, and on the ticket the chat opens (or already has), so the agent sees what the requester sent."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.conversations import service
from deskpilot.conversations.models import Conversation
from deskpilot.conversations.state import Author, Speaker
from deskpilot.errors import NotFound, PermissionDenied
from deskpilot.tickets import attachments as ticket_files
from deskpilot.tickets.enums import Channel
from deskpilot.tickets.models import TicketAttachment

ATTACHED_PREFIX = "\U0001F4CE Attached:"


def add(session: Session, *, actor: Principal, data_dir: Path, max_bytes: int, conversation_id: int,
        upload: ticket_files.Upload) -> TicketAttachment:
    """The requester sends a file in their conversation: stored, announced in the transcript, on the ticket."""
    conversation = service.get(session, actor=actor, conversation_id=conversation_id, lock=True)
    if conversation.requester_id != actor.user_id:
        raise PermissionDenied("Only the person who asked can send files in this chat; agents attach files to "
                               "the ticket instead.")
    stored = ticket_files.store_checked(data_dir, max_bytes, upload)
    attachment = TicketAttachment(
        ticket_id=conversation.ticket_id, conversation_id=conversation.id, filename=stored.filename,
        declared_type=stored.declared_type, sniffed_type=stored.sniffed_type, size=stored.size,
        sha256=stored.sha256, path=stored.path, channel=Channel.CHAT, internal=False, uploaded_by_id=actor.user_id)
    session.add(attachment)
    session.flush()
    service.say(session, conversation, Speaker(Author.REQUESTER, actor.user_id),
                f"{ATTACHED_PREFIX} {stored.filename}")
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="conversation.attachment",
                 subject_type="conversation", subject_id=conversation.id,
                 after={"attachment_id": attachment.id, "filename": stored.filename, "size": stored.size,
                        "sha256": stored.sha256, "ticket_id": conversation.ticket_id})
    return attachment


def of(session: Session, *, actor: Principal, conversation_id: int) -> list[TicketAttachment]:
    """The files sent in a conversation the actor can see."""
    conversation = service.get(session, actor=actor, conversation_id=conversation_id)
    return list(session.scalars(select(TicketAttachment).where(TicketAttachment.conversation_id == conversation.id)
                                .order_by(TicketAttachment.id)))


def download(session: Session, *, actor: Principal, data_dir: Path, conversation_id: int, attachment_id: int,
             inline: bool = False) -> ticket_files.Download:
    found = next((a for a in of(session, actor=actor, conversation_id=conversation_id) if a.id == attachment_id),
                 None)
    if found is None:
        raise NotFound(f"No file {attachment_id} in conversation #{conversation_id} that you can see.")
    return ticket_files.served(data_dir, found, inline=inline)


def link_to_ticket(session: Session, conversation: Conversation) -> None:
    """The files sent before the chat had a ticket go onto it (call when the conversation gets its ticket)."""
    if conversation.ticket_id is None:
        return
    session.execute(update(TicketAttachment).where(TicketAttachment.conversation_id == conversation.id,
                                                   TicketAttachment.ticket_id.is_(None))
                    .values(ticket_id=conversation.ticket_id))
