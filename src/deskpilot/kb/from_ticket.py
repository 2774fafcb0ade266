"""A knowledge-base draft from a resolved ticket: problem, steps and resolution, PII-redacted, in review.

The desk's replies become the steps and the last reply the resolution; the requester's words describe
the problem. Personal data (e-mail, phone, card, IBAN, IP, passwords) is replaced by placeholders
before anything is stored, and the draft goes straight into review so a lead checks it before it can
ever be used to answer.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.assist.chunking import split_sentences
from deskpilot.errors import Conflict, InvalidInput
from deskpilot.kb import service, workflow
from deskpilot.kb.importer import slugify
from deskpilot.kb.models import KbArticle, KbArticleVersion
from deskpilot.kb.schemas import KbArticleCreate
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import TicketStatus
from deskpilot.tickets.models import Ticket, TicketMessage
from deskpilot.triage.pii import redact_pii

MAX_STEPS = 12
# An article body holds at most MAX_BODY characters; a ticket's description and replies each may too.
MAX_PROBLEM = 30_000
MAX_STEP = 2_000
MAX_RESOLUTION = 30_000
MAX_TAG = 60


def _clean(text: str) -> str:
    return redact_pii(" ".join(text.split())).text


def _steps(messages: list[TicketMessage]) -> list[str]:
    steps: list[str] = []
    for message in messages:
        for sentence in split_sentences(message.body):
            step = _clean(sentence.lstrip("-*•0123456789.) "))[:MAX_STEP]
            if step and step not in steps:
                steps.append(step)
    return steps[:MAX_STEPS]


def compose_draft(ticket: Ticket, messages: list[TicketMessage]) -> tuple[str, str]:
    """(title, Markdown body) of an article drawn from a ticket's thread; pure, for tests to call."""
    desk = [m for m in messages if m.author_id != ticket.requester_id]
    if not desk:
        raise InvalidInput(f"DP-{ticket.id} has no replies from the desk to learn the steps from.")
    *working, final = desk
    steps = _steps(working) or _steps([final])
    resolution = (f"DP-{ticket.id} was resolved by following the steps above." if not working
                  else _clean(final.body)[:MAX_RESOLUTION])
    problem = _clean(ticket.description or ticket.subject)[:MAX_PROBLEM]
    title = _clean(ticket.subject)
    body = "\n".join([
        f"**Applies to:** {ticket.category or 'the service desk'} requests like DP-{ticket.id}.",
        f"**Symptoms:** {title}",
        "", "## Problem", "", problem,
        "", "## Steps", "", *(f"{n}. {step}" for n, step in enumerate(steps, start=1)),
        "", "## Resolution", "", resolution,
    ])
    return title[:300], body


def draft_from_ticket(session: Session, *, actor: Principal, ticket_id: int) -> KbArticleVersion:
    """Draft an article from a resolved or closed ticket and submit it for review."""
    require(actor, Permission.KB_EDIT)
    ticket = tickets.get(session, actor=actor, ticket_id=ticket_id)
    if ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        raise InvalidInput(f"DP-{ticket.id} is {ticket.status}; draft an article once it is resolved.")
    existing = session.scalar(select(KbArticleVersion).where(KbArticleVersion.source_ticket_id == ticket.id))
    if existing is not None:
        raise Conflict(f"DP-{ticket.id} was already drafted as {existing.article.slug}.")
    title, body = compose_draft(ticket, tickets.get_messages(session, actor=actor, ticket_id=ticket.id))
    slug = f"{slugify(title, max_length=100) or 'ticket'}-dp{ticket.id}"
    if session.scalar(select(KbArticle.id).where(KbArticle.slug == slug)) is not None:
        raise Conflict(f"An article {slug!r} already exists.")
    tag = slugify(ticket.category or "", max_length=MAX_TAG)
    tags = [tag] if tag else []
    article = service.create(session, actor=actor, source_ticket_id=ticket.id, data=KbArticleCreate(
        slug=slug, title=title, body=body, queue_id=ticket.queue_id, category=ticket.category, tags=tags,
        change_note=f"drafted from DP-{ticket.id}"))
    return workflow.submit(session, actor=actor, article_id=article.id, version=1)


def drafted_ticket_ids(session: Session, *, ticket_ids: list[int]) -> dict[int, int]:
    """ticket id → the article drafted from it, for those of `ticket_ids` that were drafted already."""
    query = (select(KbArticleVersion.source_ticket_id, KbArticleVersion.article_id)
             .where(KbArticleVersion.source_ticket_id.in_(ticket_ids)))
    return {ticket_id: article_id for ticket_id, article_id in session.execute(query) if ticket_id is not None}
