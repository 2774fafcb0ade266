"""What the tickets area holds about a person: the tickets they asked for (with every message and file on
them), and what they wrote or attached on anyone else's tickets."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from deskpilot.config import Settings
from deskpilot.personal_data import FunctionSource, Person, Section, StoredFile, columns
from deskpilot.tickets.models import Ticket, TicketAttachment, TicketMessage


def collect(session: Session, *, settings: Settings, person: Person) -> Section:
    section = Section(
        name="tickets", description="Tickets the person asked for, with every message (internal notes "
        "included, marked by `kind`) and attached file; messages and files the person added to other tickets.")
    own = list(session.scalars(select(Ticket).where(Ticket.requester_id == person.user_id).order_by(Ticket.id)))
    own_ids = [ticket.id for ticket in own]
    section.records["tickets"] = [columns(ticket) for ticket in own]
    messages = session.scalars(select(TicketMessage).where(or_(
        TicketMessage.ticket_id.in_(own_ids), TicketMessage.author_id == person.user_id)).order_by(TicketMessage.id))
    section.records["messages"] = [columns(message) for message in messages]
    files = list(session.scalars(select(TicketAttachment).where(or_(
        TicketAttachment.ticket_id.in_(own_ids), TicketAttachment.uploaded_by_id == person.user_id))
        .order_by(TicketAttachment.id)))
    section.records["attachments"] = [columns(file) | {"archive_name": _archive_name(file)} for file in files]
    section.files = [StoredFile(_archive_name(file), settings.data_dir / file.path) for file in files]
    section.subjects = {("ticket", str(ticket_id)) for ticket_id in own_ids} | {
        ("ai_decision", str(ticket.intake_triage_id)) for ticket in own if ticket.intake_triage_id is not None}
    return section


def _archive_name(attachment: TicketAttachment) -> str:
    """The attachment's own file name, kept unique (and safe as a path) by its id."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in attachment.filename).strip("._") or "file"
    return f"{attachment.id}-{safe}"


SOURCE = FunctionSource("tickets", collect, reads_files=True)
