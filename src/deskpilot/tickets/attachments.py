"""Files on tickets: attach (size and type checked, content-addressed on disk, audited), list what the actor
may see, and hand out one for download with headers that keep the browser safe (see file_types.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot import content_store
from deskpilot.accounts.permissions import Permission, has, require
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.errors import InvalidInput, NotFound, TooLarge
from deskpilot.tickets import file_types
from deskpilot.tickets.access import get_visible, is_requester, require_work
from deskpilot.tickets.enums import Channel, TicketStatus
from deskpilot.tickets.models import TicketAttachment

UPLOAD_PREFIX = "attachments"


@dataclass(frozen=True)
class Upload:
    filename: str | None
    declared_type: str | None
    content: bytes


@dataclass(frozen=True)
class Download:
    attachment: TicketAttachment
    content: bytes
    media_type: str
    disposition: str


@dataclass(frozen=True)
class StoredFile:
    filename: str
    declared_type: str
    sniffed_type: str
    size: int
    sha256: str
    path: str


def store_checked(data_dir: Path, max_bytes: int, upload: Upload) -> StoredFile:
    """Check a person's upload (not empty, within `max_bytes`, no program or script) and keep it on disk."""
    if not upload.content:
        raise InvalidInput("The file is empty; choose the file again.")
    if len(upload.content) > max_bytes:
        raise TooLarge(f"The file is {len(upload.content) // 1024} KiB; the limit is {max_bytes // 1024} KiB "
                       "(DESKPILOT_ATTACHMENT_MAX_BYTES). Compress it or share a link instead.")
    filename = file_types.clean_filename(upload.filename)
    sniffed = file_types.sniff(upload.content)
    reason = file_types.blocked_reason(filename, sniffed)
    if reason:
        raise InvalidInput(reason)
    path, digest = content_store.store(data_dir, UPLOAD_PREFIX, upload.content)
    return StoredFile(filename, (upload.declared_type or file_types.OPAQUE)[:255], sniffed, len(upload.content),
                      digest, path)


def served(data_dir: Path, attachment: TicketAttachment, *, inline: bool) -> Download:
    """How to hand out a stored file: the bytes decide the type; only passive types are ever shown inline."""
    path = data_dir / attachment.path
    if not path.is_file():
        raise NotFound(f"The file of attachment {attachment.id} is missing from the data directory ({path}); "
                       "restore it from the last backup.")
    content = content_store.read(path)  # opened: files are kept sealed (sealed_storage.py)
    # The bytes decide, also for files stored before sniffing was recorded.
    media_type = file_types.served_type(file_types.sniff(content[:4096]))
    show_inline = inline and media_type != file_types.OPAQUE
    return Download(attachment, content, media_type,
                    file_types.content_disposition(attachment.filename, inline=show_inline))


def _is_staff(actor: Principal) -> bool:
    return has(actor, Permission.TICKET_NOTE) or has(actor, Permission.TICKET_READ_ALL)


def add(session: Session, *, actor: Principal, data_dir: Path, max_bytes: int, ticket_id: int, upload: Upload,
        channel: Channel, internal: bool = False, message_id: int | None = None) -> TicketAttachment:
    """Attach a file: the requester to their own ticket, staff to tickets they work (internal files too)."""
    ticket = get_visible(session, actor=actor, ticket_id=ticket_id)
    if internal:
        require(actor, Permission.TICKET_NOTE)
    if internal or not is_requester(actor, ticket):
        require_work(session, actor, ticket)
    if ticket.status in (TicketStatus.CLOSED, TicketStatus.MERGED):
        raise InvalidInput(f"DP-{ticket.id} is {ticket.status}; attach the file to a new ticket instead.")
    stored = store_checked(data_dir, max_bytes, upload)
    attachment = TicketAttachment(
        ticket_id=ticket.id, message_id=message_id, filename=stored.filename, declared_type=stored.declared_type,
        sniffed_type=stored.sniffed_type, size=stored.size, sha256=stored.sha256, path=stored.path,
        channel=channel, internal=internal, uploaded_by_id=actor.user_id)
    session.add(attachment)
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="ticket.attachment",
                 subject_type="ticket", subject_id=ticket.id,
                 after={"attachment_id": attachment.id, "filename": stored.filename, "size": stored.size,
                        "sha256": stored.sha256, "internal": internal})
    return attachment


def record_mail_parts(session: Session, *, ticket_id: int, message_id: int | None, internal: bool,
                      parts: list[dict[str, Any]], prefix: str, uploaded_by_id: int | None) -> list[TicketAttachment]:
    """The stored parts of a filed e-mail (already on disk under `prefix`, relative to DATA_DIR) on its ticket.
    Parts over the size limit were never stored; they stay listed on the mail only."""
    recorded = []
    for part in parts:
        if not part.get("stored") or not part.get("path"):
            continue
        recorded.append(TicketAttachment(
            ticket_id=ticket_id, message_id=message_id, filename=file_types.clean_filename(part.get("filename")),
            declared_type=str(part.get("content_type") or file_types.OPAQUE)[:255],
            sniffed_type=str(part.get("sniffed_type") or file_types.OPAQUE), size=int(part["size"]),
            sha256=str(part["sha256"]), path=f"{prefix}/{part['path']}", channel=Channel.EMAIL, internal=internal,
            uploaded_by_id=uploaded_by_id))
    session.add_all(recorded)
    session.flush()
    return recorded


def record_imported(session: Session, *, ticket_id: int, stored: StoredFile, channel: Channel, internal: bool,
                    uploaded_by_id: int | None) -> TicketAttachment:
    """A file of a ticket imported from an ITSM (checked and stored by `store_checked`) on its ticket; the ticket
    may be closed already, unlike `add`, since history arrives closed."""
    attachment = TicketAttachment(
        ticket_id=ticket_id, filename=stored.filename, declared_type=stored.declared_type,
        sniffed_type=stored.sniffed_type, size=stored.size, sha256=stored.sha256, path=stored.path, channel=channel,
        internal=internal, uploaded_by_id=uploaded_by_id)
    session.add(attachment)
    session.flush()
    return attachment


def visible(session: Session, *, actor: Principal, ticket_id: int) -> list[TicketAttachment]:
    """The ticket's files the actor may see (requesters never see internal ones)."""
    ticket = get_visible(session, actor=actor, ticket_id=ticket_id)
    query = select(TicketAttachment).where(TicketAttachment.ticket_id == ticket.id)
    if not _is_staff(actor):
        query = query.where(TicketAttachment.internal.is_(False))
    return list(session.scalars(query.order_by(TicketAttachment.id)))


def download(session: Session, *, actor: Principal, data_dir: Path, ticket_id: int, attachment_id: int,
             inline: bool = False) -> Download:
    """One file for download; `inline` only for passive types (images, PDF, text), else an opaque download."""
    attachment = next((a for a in visible(session, actor=actor, ticket_id=ticket_id) if a.id == attachment_id),
                      None)
    if attachment is None:
        raise NotFound(f"No attachment {attachment_id} on DP-{ticket_id} that you can see.")
    return served(data_dir, attachment, inline=inline)
