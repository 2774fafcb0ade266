"""Which ticket a mail belongs to: by the Message-IDs it answers, else by Outlook's conversation (Thread-Index)
or a `[DP-n]` subject tag."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import User
from deskpilot.channels.email.models import InboundMail, OutboundMail
from deskpilot.channels.email.parse import ParsedMail
from deskpilot.tickets.models import Ticket

_STAFF = (Role.AGENT, Role.LEAD, Role.ADMIN)
_MAX_MERGE_HOPS = 20


def _by_message_ids(session: Session, ids: tuple[str, ...]) -> int | None:
    if not ids:
        return None
    known: dict[str, int] = {}
    for table in (InboundMail, OutboundMail):
        rows = session.execute(select(table.message_id, table.ticket_id)
                               .where(table.message_id.in_(ids), table.ticket_id.is_not(None)))
        known.update({message_id: ticket_id for message_id, ticket_id in rows if ticket_id is not None})
    return next((known[i] for i in ids if i in known), None)


def _follow_merges(session: Session, ticket: Ticket) -> Ticket:
    for _ in range(_MAX_MERGE_HOPS):
        if ticket.merged_into_id is None:
            break
        survivor = session.get(Ticket, ticket.merged_into_id)
        if survivor is None:
            break
        ticket = survivor
    return ticket


def thread_target(session: Session, *, parsed: ParsedMail, sender: User) -> Ticket | None:
    """The ticket this mail continues, following merges; None for a new conversation.

    Message-ID threading is trusted (our ids are unguessable and theirs were on the thread). Outlook's
    Thread-Index and a bare `[DP-n]` tag are anyone's to copy, so they thread only for the ticket's
    requester or desk staff.
    """
    ticket_id = _by_message_ids(session, parsed.thread_ids)
    if ticket_id is None and parsed.thread_index_root is not None:
        same = session.scalar(select(InboundMail.ticket_id).where(
            InboundMail.thread_index_root == parsed.thread_index_root, InboundMail.ticket_id.is_not(None))
            .order_by(InboundMail.id.desc()).limit(1))
        conversation = session.get(Ticket, same) if same is not None else None
        if conversation is not None and (conversation.requester_id == sender.id or sender.role in _STAFF):
            ticket_id = conversation.id
    if ticket_id is None and parsed.ticket_number is not None:
        tagged = session.get(Ticket, parsed.ticket_number)
        if tagged is not None and (tagged.requester_id == sender.id or sender.role in _STAFF):
            ticket_id = tagged.id
    ticket = session.get(Ticket, ticket_id) if ticket_id is not None else None
    return _follow_merges(session, ticket) if ticket is not None else None
