"""Raw mails and attachments on disk, addressed by their SHA-256 (written once: see content_store.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from deskpilot import content_store
from deskpilot.channels.email.models import InboundMail
from deskpilot.channels.email.parse import Attachment
from deskpilot.content_store import content_path, write_once
from deskpilot.tickets import attachments as ticket_files
from deskpilot.tickets.file_types import sniff

MAIL_PREFIX = "mail"  # Settings.mail_dir, relative to DATA_DIR


def store_raw(mail_dir: Path, raw: bytes, sha256: str | None = None) -> str:
    """Keep a mail's exact bytes; returns the path relative to `mail_dir`."""
    digest = sha256 or hashlib.sha256(raw).hexdigest()
    relative = f"raw/{digest[:2]}/{digest}.eml"
    write_once(mail_dir, relative, raw)
    return relative


def read_raw(mail_dir: Path, relative: str) -> bytes:
    """The bytes of a stored mail (kept sealed: see sealed_storage.py)."""
    return content_store.read(mail_dir / relative)


def store_attachments(mail_dir: Path, attachments: tuple[Attachment, ...]) -> list[dict[str, Any]]:
    """Keep the attachments within the size limit; describe all of them (skipped ones say so)."""
    described: list[dict[str, Any]] = []
    for attachment in attachments:
        path = None
        if attachment.content is not None:
            path = content_path("attachments", attachment.sha256)
            write_once(mail_dir, path, attachment.content)
        described.append({"filename": attachment.filename, "content_type": attachment.content_type,
                          "size": attachment.size, "inline": attachment.inline, "sha256": attachment.sha256,
                          "sniffed_type": sniff(attachment.content) if attachment.content is not None else None,
                          "stored": path is not None, "path": path,
                          "skipped_reason": None if path else "larger than the attachment size limit"})
    return described


def link_to_ticket(session: Session, mail: InboundMail, *, internal: bool) -> None:
    """Show the mail's stored attachments on the ticket it was filed to (staff only when `internal`)."""
    if mail.ticket_id is None:
        return
    ticket_files.record_mail_parts(session, ticket_id=mail.ticket_id, message_id=mail.ticket_message_id,
                                   internal=internal, parts=mail.attachments, prefix=MAIL_PREFIX,
                                   uploaded_by_id=None)
