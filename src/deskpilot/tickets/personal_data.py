"""What the tickets area holds about a person: the tickets they asked for (with every message and file on
them), and what they wrote or attached on anyone else's tickets. Erasing empties the texts of their tickets and
of what they wrote elsewhere, deletes their files, scrubs their identifiers from every other message, and deletes
the stored vectors of every ticket whose text it changed."""

from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from deskpilot.config import Settings
from deskpilot.personal_data import (
    ERASED,
    Change,
    Erasure,
    FunctionSource,
    Person,
    Section,
    StoredFile,
    columns,
)
from deskpilot.tickets import vectors
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


def erase(session: Session, *, settings: Settings, erasure: Erasure, apply: bool) -> list[Change]:
    person_id = erasure.person.user_id
    own = list(session.scalars(select(Ticket).where(Ticket.requester_id == person_id).order_by(Ticket.id)))
    own_ids = [ticket.id for ticket in own]
    written = list(session.scalars(select(TicketMessage).where(or_(
        TicketMessage.ticket_id.in_(own_ids), TicketMessage.author_id == person_id))))
    files = list(session.scalars(select(TicketAttachment).where(or_(
        TicketAttachment.ticket_id.in_(own_ids), TicketAttachment.uploaded_by_id == person_id))))
    erased_ids = {message.id for message in written}
    mentioning = [message for message in session.scalars(select(TicketMessage).where(
        TicketMessage.id.not_in(erased_ids), TicketMessage.body.is_not(None))) if erasure.mentions(message.body)]
    others = [ticket for ticket in session.scalars(select(Ticket).where(Ticket.id.not_in(own_ids)))
              if erasure.mentions(ticket.subject) or erasure.mentions(ticket.description)]
    if apply:
        for ticket in own:
            ticket.subject, ticket.description = ERASED, ERASED
        for message in written:
            message.body = ERASED
        for ticket in others:
            ticket.subject, ticket.description = erasure.scrub(ticket.subject), erasure.scrub(ticket.description)
        for message in mentioning:
            message.body = erasure.scrub(message.body)
        _delete_files(session, settings, files)
        vectors.delete_for(session, ticket_ids=own_ids + [ticket.id for ticket in others])
    return [Change("tickets", "tickets", len(own), "subject and description erased (kept for the desk's counts)"),
            Change("tickets", "messages", len(written), "body erased"),
            Change("tickets", "attachments", len(files), "deleted with their files"),
            Change("tickets", "other_tickets_mentioning", len(others), "identifiers scrubbed"),
            Change("tickets", "other_messages_mentioning", len(mentioning), "identifiers scrubbed"),
            Change("tickets", "ticket_vectors", len(own) + len(others),
                   "the vectors of those tickets' texts deleted (embedded again from the erased text when needed)")]


def _delete_files(session: Session, settings: Settings, files: list[TicketAttachment]) -> None:
    """Delete the rows, then each file no remaining row refers to (files are stored once per content)."""
    paths = {file.path for file in files}
    session.execute(delete(TicketAttachment).where(TicketAttachment.id.in_([file.id for file in files])))
    still_used = set(session.scalars(select(TicketAttachment.path).where(TicketAttachment.path.in_(paths))))
    for path in paths - still_used:
        (settings.data_dir / path).unlink(missing_ok=True)


SOURCE = FunctionSource("tickets", collect, reads_files=True, eraser=erase)
