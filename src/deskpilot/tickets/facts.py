"""Per-ticket facts the KPI reports aggregate, kept on the ticket row by the code that changes them.

Counting each ticket's agent replies and paused time, and finding its first triage decision, at report
time cost seconds per query on a million tickets (docs/benchmarks.md, "KPI dashboard at scale"). Each
fact is therefore updated in the same transaction as the change it follows from:

- `agent_replies`: public replies by someone other than the requester (people, not the system);
- `paused_seconds`: time the resolution clock was paused, each pause up to its resume (or, if it never
  resumed, up to the resolution); what the ticket waited on the customer before it was resolved;
- `intake_*`: what the ticket's first triage decision (the lowest id) suggested, with its id.

Migration 0010 computed them for the tickets that existed before.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from deskpilot.audit import decisions
from deskpilot.audit.decisions_models import AiDecision, json_text
from deskpilot.audit.enums import DecisionKind
from deskpilot.tickets.enums import MessageKind
from deskpilot.tickets.models import Ticket, TicketMessage


def is_agent_reply(message: TicketMessage, requester_id: int) -> bool:
    """A public reply written by a person other than the ticket's requester."""
    return (message.kind == MessageKind.PUBLIC_REPLY and message.author_id is not None
            and message.author_id != requester_id)


def count_reply(session: Session, ticket: Ticket, message: TicketMessage) -> None:
    """Count `message`, just added to the stored `ticket`, if it is an agent's reply."""
    if not is_agent_reply(message, ticket.requester_id):
        return
    # Incremented in the database: two agents replying at once must not both write "previous + 1".
    session.execute(update(Ticket).where(Ticket.id == ticket.id).values(agent_replies=Ticket.agent_replies + 1)
                    .execution_options(synchronize_session=False))
    session.expire(ticket, ["agent_replies"])


def paused_seconds(pauses: Iterable[tuple[datetime, datetime | None]], resolved_at: datetime | None) -> float:
    """Seconds paused: each pause until it resumed, or until the resolution if it never did."""
    total = 0.0
    for paused_at, resumed_at in pauses:
        end = resumed_at if resumed_at is not None else resolved_at
        if end is not None:
            total += (end - paused_at).total_seconds()
    return total


def refresh_paused(ticket: Ticket) -> None:
    """Recompute `paused_seconds` after a pause started or ended or the resolution time changed."""
    ticket.paused_seconds = paused_seconds(((p.paused_at, p.resumed_at) for p in ticket.pauses), ticket.resolved_at)


def _as_integer(value: Any) -> int | None:
    # What CAST(outputs ->> 'queue_id' AS INTEGER) read: a whole number, or its digits as text.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value)
    return None


def link_triage(session: Session, *, decision_id: int, ticket_id: int) -> None:
    """Link a recorded triage decision to its ticket, and keep the ticket's intake facts with it.

    Every triage of a ticket (intake and re-triage) is linked here, so the facts cannot miss one.
    """
    decision = decisions.attach_subject(session, decision_id=decision_id, subject_type="ticket", subject_id=ticket_id)
    note_triage(session, decision=decision)


def note_triage(session: Session, *, decision: AiDecision) -> None:
    """Remember `decision` as its ticket's intake triage if it is the first triage decision about the ticket.

    Called when a triage decision with its outputs complete is linked to a ticket.
    """
    if decision.kind is not DecisionKind.TRIAGE or decision.subject_type != "ticket":
        return
    if decision.subject_id is None or not decision.subject_id.isdigit():
        return
    ticket = session.get(Ticket, int(decision.subject_id))
    if ticket is None or (ticket.intake_triage_id is not None and ticket.intake_triage_id <= decision.id):
        return
    outputs = decision.outputs or {}
    ticket.intake_triage_id = decision.id
    ticket.intake_category = json_text(outputs.get("category"))
    ticket.intake_queue_id = _as_integer(outputs.get("queue_id"))
    ticket.intake_priority = json_text(outputs.get("priority"))
    ticket.intake_abstained = decision.abstained
