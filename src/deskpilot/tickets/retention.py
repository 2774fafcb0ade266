"""Retention of closed tickets: after the period their subject, description, messages and files go; the ticket
keeps its dates, category, priority and queue for the KPIs. Uploaded files no other ticket refers to are deleted;
a mail's parts are left to the e-mail channel's sweep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from deskpilot.config import Settings
from deskpilot.data_retention import EXPIRED_TEXT, Expired, RetentionKind, in_chunks, remove_unreferenced
from deskpilot.tickets import vectors
from deskpilot.tickets.attachments import UPLOAD_PREFIX
from deskpilot.tickets.enums import TicketStatus
from deskpilot.tickets.models import Ticket, TicketAttachment, TicketMessage


@dataclass(frozen=True)
class ClosedTicketsSweep:
    name: str = "tickets"
    kind: RetentionKind = RetentionKind.CLOSED_TICKETS

    def expire(self, session: Session, *, settings: Settings, before: datetime, dry_run: bool) -> Expired:
        """Empty the tickets closed before `before` (not yet emptied) and delete their files."""
        # The subject is sealed at rest, so whether a ticket was emptied already is checked after reading.
        ids = [row.id for row in session.execute(select(Ticket.id, Ticket.subject).where(
            Ticket.status == TicketStatus.CLOSED, Ticket.closed_at < before)) if row.subject != EXPIRED_TEXT]
        attachments: set[str] = set()
        for chunk in in_chunks(ids):
            # Only the desk's own uploads: a channel's files (a mail's parts) are removed by that channel's sweep.
            attachments |= set(session.scalars(select(TicketAttachment.path).where(
                TicketAttachment.ticket_id.in_(chunk), TicketAttachment.path.startswith(f"{UPLOAD_PREFIX}/"))))
        if dry_run or not ids:
            return Expired(records=len(ids), files=len(attachments))
        for chunk in in_chunks(ids):
            session.execute(update(TicketMessage).where(TicketMessage.ticket_id.in_(chunk))
                            .values(body=EXPIRED_TEXT), execution_options={"synchronize_session": False})
            session.execute(delete(TicketAttachment).where(TicketAttachment.ticket_id.in_(chunk)),
                            execution_options={"synchronize_session": False})
            session.execute(update(Ticket).where(Ticket.id.in_(chunk)).values(subject=EXPIRED_TEXT, description=""),
                            execution_options={"synchronize_session": False})
            vectors.delete_for(session, ticket_ids=chunk)
        session.flush()
        session.expire_all()
        remaining = set(session.scalars(select(TicketAttachment.path).where(
            TicketAttachment.path.in_(sorted(attachments)))))
        return Expired(records=len(ids), files=remove_unreferenced(settings.data_dir, attachments, remaining))

SWEEP = ClosedTicketsSweep()
