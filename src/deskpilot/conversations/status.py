""""Any update on my ticket?": the requester's own tickets from the database, never a new ticket.

A ticket named in the message (DP-123, #123, "ticket 123") is shown when the asker may see it
(`tickets/access.py`); otherwise the asker's own tickets, open ones first. Each line carries the status, who
is working on it and the SLA due times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from deskpilot.accounts.models import User
from deskpilot.accounts.principal import Principal
from deskpilot.conversations.handoff import format_when
from deskpilot.errors import NotFound
from deskpilot.tickets.access import get_visible, visible_clause
from deskpilot.tickets.enums import TicketStatus
from deskpilot.tickets.models import Ticket

NAMED_TICKET = re.compile(r"(?:\bDP[-\s]?|#|\bticket\s+(?:no\.?\s*|number\s+)?)(\d{1,9})\b", re.IGNORECASE)
LISTED = 5
_SUBJECT_WORD = re.compile(r"[^\W\d_]{4,}")
# Words of any ticket's subject or any message about one: they name no ticket in particular.
_EVERY_TICKET = frozenset({
    "ticket", "tickets", "request", "requests", "incident", "issue", "issues", "problem", "problems", "order",
    "need", "needs", "with", "from", "that", "this", "have", "been", "when", "what", "does", "will", "your", "about",
    "after", "into", "over", "still", "again", "some", "there", "their", "they", "just", "work", "working", "works",
    "please", "thanks", "help", "update", "status", "news", "checking", "check", "done", "created", "open", "opened",
    "where", "which", "would", "could", "should", "week", "days", "today", "since", "already", "anyone", "someone",
})
DONE = (TicketStatus.RESOLVED, TicketStatus.CLOSED, TicketStatus.MERGED)


@dataclass(frozen=True)
class StatusReply:
    """What to say, and the tickets it is about (kept in the conversation's facts)."""

    text: str
    ticket_ids: list[int]


def named_ticket(text: str) -> int | None:
    match = NAMED_TICKET.search(text)
    return int(match.group(1)) if match else None


def names_visible_ticket(session: Session, *, actor: Principal, text: str) -> bool:
    """Whether the message names by number a ticket the asker may see ("DP-123 - is anyone working on this?")."""
    named = named_ticket(text)
    if named is None:
        return False
    try:
        get_visible(session, actor=actor, ticket_id=named)
    except NotFound:
        return False
    return True


def names_open_ticket_by_subject(session: Session, *, actor: Principal, text: str) -> bool:
    """Whether the message speaks of one of the asker's open tickets by its subject's words ("checking in on my
    project code request" with "New project code for the Contoso rollout" open): two of the subject's words, or
    its only one, of at least four letters and not a word every ticket uses."""
    said = _subject_words(text)
    subjects = session.scalars(select(Ticket.subject).where(
        Ticket.requester_id == actor.user_id, Ticket.status.not_in(DONE)).limit(LISTED * 10))
    for subject in subjects:
        words = _subject_words(subject)
        if words and len(said & words) >= min(2, len(words)):
            return True
    return False


def _subject_words(text: str) -> set[str]:
    return {w for w in _SUBJECT_WORD.findall(text.casefold()) if w not in _EVERY_TICKET}


def status_reply(session: Session, *, actor: Principal, text: str) -> StatusReply:
    """The status of the ticket the message names, or of the asker's own tickets."""
    named = named_ticket(text)
    if named is not None:
        try:
            ticket = get_visible(session, actor=actor, ticket_id=named)
        except NotFound:
            return StatusReply(f"I cannot find DP-{named} among the tickets you can see. Check the number, or "
                               "ask me about \u201cmy tickets\u201d to see yours.", [])
        return StatusReply(f"Here is DP-{ticket.id}:\n{_line(session, ticket)}", [ticket.id])
    own = list(session.scalars(
        select(Ticket).where(Ticket.requester_id == actor.user_id, visible_clause(actor))
        .order_by(case((Ticket.status.in_(DONE), 1), else_=0), Ticket.updated_at.desc(), Ticket.id.desc())
        .limit(LISTED)))
    if not own:
        return StatusReply("You have no tickets with the service desk. If you need one, tell me \u201copen a "
                           "ticket\u201d and describe what is wrong.", [])
    lines = "\n".join(_line(session, t) for t in own)
    return StatusReply(f"Your most recent tickets:\n{lines}", [t.id for t in own])


def _line(session: Session, ticket: Ticket) -> str:
    status = ticket.status.replace("_", " ")
    line = f"- DP-{ticket.id} \u201c{ticket.subject}\u201d: {status}"
    assignee = session.get(User, ticket.assignee_id) if ticket.assignee_id is not None else None
    line += f", with {assignee.full_name}" if assignee is not None else ", not yet assigned to a person"
    if ticket.status in DONE:
        return line + "."
    if ticket.first_responded_at is None and ticket.first_response_due_at is not None:
        line += f"; first reply due by {format_when(ticket.first_response_due_at)}"
    if ticket.resolution_due_at is not None:
        line += f"; resolution due by {format_when(ticket.resolution_due_at)}"
    return line + "."
