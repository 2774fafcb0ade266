"""Mail that did not become a ticket (unparseable, no requester, taken for an auto-reply): agents see it
with the reason and file it as a ticket, attach it to one, or discard it."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.channels.email.enums import UNFILED, InboundStatus
from deskpilot.channels.email.models import InboundMail
from deskpilot.channels.email.store import link_to_ticket
from deskpilot.config import Settings
from deskpilot.errors import Conflict, NotFound
from deskpilot.intake import open_ticket
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import Channel, MessageKind
from deskpilot.tickets.schemas import MAX_BODY, MessageCreate, TicketCreate
from deskpilot.triage.engine import TriageEngine

log = logging.getLogger(__name__)


def get_all(session: Session, *, actor: Principal, limit: int = 100) -> list[InboundMail]:
    """Unfiled mail, newest first, each with its reason in `error`."""
    require(actor, Permission.TICKET_WORK)
    query = select(InboundMail).where(InboundMail.status.in_(UNFILED), InboundMail.ticket_id.is_(None))
    return list(session.scalars(query.order_by(InboundMail.id.desc()).limit(limit)))


def _unfiled(session: Session, actor: Principal, inbound_id: int) -> InboundMail:
    require(actor, Permission.TICKET_WORK)
    mail = session.get(InboundMail, inbound_id)
    if mail is None:
        raise NotFound(f"No received mail {inbound_id}.")
    if mail.status not in UNFILED or mail.ticket_id is not None:
        raise Conflict(f"Mail {inbound_id} is already {mail.status}; only unfiled mail can be handled.")
    return mail


def _text(mail: InboundMail) -> str:
    return mail.body_text.strip() or "(no readable text; see the stored mail)"


def file_as_ticket(session: Session, *, actor: Principal, settings: Settings, triage: TriageEngine, inbound_id: int,
                   requester_id: int) -> InboundMail:
    """Open a ticket from an unfiled mail for `requester_id` (triaged like any new ticket)."""
    mail = _unfiled(session, actor, inbound_id)
    ticket, _outcome = open_ticket(session, actor=actor, settings=settings, triage=triage, data=TicketCreate(
        subject=(" ".join(mail.subject.split()) or "(no subject)")[:300], description=_text(mail)[:MAX_BODY],
        channel=Channel.EMAIL, requester_id=requester_id))
    mail.status, mail.ticket_id = InboundStatus.PROCESSED, ticket.id
    session.flush()
    link_to_ticket(session, mail, internal=False)
    log.info("%s filed mail %s as DP-%s", actor.username, inbound_id, ticket.id)
    return mail


def attach_to_ticket(session: Session, *, actor: Principal, inbound_id: int, ticket_id: int) -> InboundMail:
    """Add an unfiled mail to ticket `ticket_id` as an attributed internal note."""
    mail = _unfiled(session, actor, inbound_id)
    note = f"E-mail from {mail.from_address or 'an unknown sender'} ({mail.subject}):\n\n{_text(mail)}"
    message = tickets.add_message(session, actor=actor, ticket_id=ticket_id, data=MessageCreate(
        body=note[:MAX_BODY], kind=MessageKind.INTERNAL_NOTE, channel=Channel.EMAIL))
    mail.status, mail.ticket_id, mail.ticket_message_id = InboundStatus.PROCESSED, ticket_id, message.id
    session.flush()
    link_to_ticket(session, mail, internal=True)
    log.info("%s attached mail %s to DP-%s", actor.username, inbound_id, ticket_id)
    return mail


def discard(session: Session, *, actor: Principal, inbound_id: int) -> InboundMail:
    """Mark an unfiled mail as handled without a ticket (its bytes stay stored)."""
    mail = _unfiled(session, actor, inbound_id)
    mail.error = f"discarded by {actor.username}; was: {mail.error or mail.status}"
    mail.status = InboundStatus.DISCARDED
    session.flush()
    return mail
