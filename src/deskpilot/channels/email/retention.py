"""Retention of raw mail: after the period a received mail's exact bytes, its stored parts and its text go; the
row keeps who sent it when, what it carried and the ticket it filed (whose message has its own retention). A file
another mail or a ticket still refers to stays, and goes on a later run once nothing does. Registered in the
`deskpilot.retention` entry point group (a flow may not import a face)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from deskpilot.channels.email.models import InboundMail
from deskpilot.channels.email.store import MAIL_PREFIX
from deskpilot.config import Settings
from deskpilot.data_retention import Expired, RetentionKind, in_chunks, remove_unreferenced
from deskpilot.tickets.models import TicketAttachment


def _stored_parts(attachments: list[dict[str, Any]]) -> set[str]:
    return {str(part["path"]) for part in attachments if part.get("stored") and part.get("path")}


def _files_in_use(session: Session) -> set[str]:
    # Paths relative to the mail directory: the raw mails and parts of the mails kept, and ticket files in it.
    used: set[str] = set()
    for raw_path, attachments in session.execute(
            select(InboundMail.raw_path, InboundMail.attachments).where(InboundMail.raw_path != "")):
        used |= {raw_path, *_stored_parts(attachments or [])}
    prefix = f"{MAIL_PREFIX}/"
    used |= {path.removeprefix(prefix) for path in session.scalars(
        select(TicketAttachment.path).where(TicketAttachment.path.startswith(prefix)))}
    return used


@dataclass(frozen=True)
class RawMailSweep:
    name: str = "email"
    kind: RetentionKind = RetentionKind.RAW_MAIL

    def expire(self, session: Session, *, settings: Settings, before: datetime, dry_run: bool) -> Expired:
        """Delete the raw bytes and parts of the mails received before `before`, and clear their text."""
        rows = session.execute(select(InboundMail.id, InboundMail.raw_path, InboundMail.attachments).where(
            InboundMail.received_at < before, InboundMail.raw_path != "")).all()
        files = {path for _, raw_path, attachments in rows for path in {raw_path, *_stored_parts(attachments or [])}}
        if dry_run or not rows:
            return Expired(records=len(rows), files=len(files))
        for chunk in in_chunks([row.id for row in rows]):
            session.execute(update(InboundMail).where(InboundMail.id.in_(chunk)).values(raw_path="", body_text=""),
                            execution_options={"synchronize_session": False})
        session.flush()
        session.expire_all()
        # Parts of mails that expired earlier are candidates again: a ticket may have held on to them until now.
        for attachments in session.scalars(select(InboundMail.attachments).where(InboundMail.raw_path == "")):
            files |= _stored_parts(attachments or [])
        return Expired(records=len(rows), files=remove_unreferenced(settings.mail_dir, files, _files_in_use(session)))

SWEEP = RawMailSweep()
