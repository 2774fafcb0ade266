"""Grounded reply drafts for e-mail tickets, from the assist area's composer.

The draft answers the requester's latest words (quotes and signatures were already stripped at
intake) and keeps the composer's citations; with weak evidence the composer abstains and the draft
says so. Nothing is sent from here: an agent edits the draft and approves it with
`outbound.send_reply(..., ai_assisted=True)`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.assist.compose import AgentDraft, AnswerComposer, draft_reply
from deskpilot.errors import Conflict
from deskpilot.governance import switches
from deskpilot.governance.enums import AiMode, Capability
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import MessageKind
from deskpilot.tickets.models import Queue, TicketMessage

# Drafts are suggestions by nature: off and shadow both keep them from the agent.
HELD = (AiMode.OFF, AiMode.SHADOW)


def draft_for_ticket(session: Session, *, actor: Principal, ticket_id: int, composer: AnswerComposer) -> AgentDraft:
    """A grounded draft answering the requester's latest message on a ticket `actor` can see."""
    ticket = tickets.get(session, actor=actor, ticket_id=ticket_id)
    queue = session.scalar(select(Queue.name).where(Queue.id == ticket.queue_id)) if ticket.queue_id else None
    if switches.mode(session, Capability.EMAIL_DRAFTS, channel=ticket.channel, queue=queue) in HELD:
        raise Conflict("AI drafts for e-mail are switched off here (AI switches); write the reply yourself.")
    latest = session.scalar(select(TicketMessage.body).where(
        TicketMessage.ticket_id == ticket.id, TicketMessage.author_id == ticket.requester_id,
        TicketMessage.kind == MessageKind.PUBLIC_REPLY).order_by(TicketMessage.id.desc()).limit(1))
    return draft_reply(latest or ticket.description or ticket.subject, composer, context=ticket.subject)
