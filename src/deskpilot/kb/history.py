"""The desk's history for retrieval: questions an approved article is known to have answered.

Two kinds of record count as "this article answered this question":
- a confirmed deflection: the requester answered "yes" to "Did this solve it?", stored as feedback
  `deflection` accepted on the ANSWER decision; the decision holds the PII-redacted question and the
  cited article versions, first the article the answer was built from;
- a resolved (or closed) ticket whose last public reply from the desk cites an article as `[slug vN]`
  (a reply sent from an AI draft keeps its citations, and agents paste them too).
An answer the requester said "no" to records no feedback, and the citations in a chat hand-off's
description or notes are the suggestions that did *not* help, so neither counts. Only articles that are
published now count. Each kind is read newest first up to a limit, which bounds the cost of a sync;
only the keys are read first, so the texts of questions already learned are never read again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.audit.decisions_models import AiDecision, AiFeedback
from deskpilot.audit.enums import DecisionKind, FeedbackAction
from deskpilot.tickets.enums import Channel, MessageKind, TicketStatus
from deskpilot.tickets.models import Ticket, TicketMessage
from deskpilot.triage.pii import redact_pii

DEFLECTION_FIELD = "deflection"  # the feedback field the chat records on a confirmed answer
MAX_PER_KIND = 2000
DESCRIPTION_CHARS = 300
CITATION = re.compile(r"\[([a-z0-9]+(?:-[a-z0-9]+)*) v(\d+)\]")
_DEFLECTION, _TICKET = "deflection", "ticket"
_RESOLVED = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


@dataclass(frozen=True)
class AnsweredQuestion:
    """A past question (PII-redacted) and the article that answered it; `key` names the record it came from."""

    key: str
    slug: str
    question: str


def answering_articles(session: Session, *, approved: Mapping[str, int],
                       limit: int = MAX_PER_KIND) -> dict[str, str]:
    """key → article slug of the most recent confirmed deflections and resolved tickets citing an article.

    `approved` is slug → approved version (`service.approved_versions`); other articles do not count.
    """
    return _deflections(session, approved, limit) | _resolved_tickets(session, approved, limit)


def answered_questions(session: Session, *, answering: Mapping[str, str]) -> list[AnsweredQuestion]:
    """The redacted questions of the given keys (from `answering_articles`), in the order given."""
    records = {key: _record_of(key) for key in answering}
    wanted = {kind: [rid for k, rid in records.values() if k == kind] for kind in (_DEFLECTION, _TICKET)}
    texts: dict[tuple[str, int], str] = {}
    if wanted[_DEFLECTION]:
        decisions = session.execute(select(AiDecision.id, AiDecision.input_redacted)
                                    .where(AiDecision.id.in_(wanted[_DEFLECTION])))
        texts |= {(_DEFLECTION, decision_id): text for decision_id, text in decisions}
    if wanted[_TICKET]:
        tickets = session.execute(select(Ticket.id, Ticket.subject, Ticket.description, Ticket.channel)
                                  .where(Ticket.id.in_(wanted[_TICKET])))
        texts |= {(_TICKET, ticket_id): ticket_question(subject, description, channel)
                  for ticket_id, subject, description, channel in tickets}
    found = []
    for key, slug in answering.items():
        text = texts.get(records[key], "").strip()
        if text:
            found.append(AnsweredQuestion(key=key, slug=slug, question=text))
    return found


def _record_of(key: str) -> tuple[str, int]:
    """("deflection", decision id) or ("ticket", ticket id) from a key of `answering_articles`."""
    kind, _, rest = key.partition(":")
    return kind, int(rest.partition(":")[0])


def ticket_question(subject: str, description: str, channel: Channel) -> str:
    """What a ticket asked, PII-redacted: its subject and the start of its description.

    A chat hand-off's description is the assistant's summary and transcript, not the requester's words;
    its subject is the question the requester asked, so only the subject is taken.
    """
    text = subject.strip()
    if channel != Channel.CHAT:
        first = description.strip().split("\n\n", 1)[0][:DESCRIPTION_CHARS].strip()
        if first and first.lower() != text.lower():
            text = f"{text}\n{first}"
    return redact_pii(text).text


def _deflections(session: Session, approved: Mapping[str, int], limit: int) -> dict[str, str]:
    rows = session.execute(
        select(AiFeedback.decision_id, AiDecision.sources)
        .join(AiDecision, AiDecision.id == AiFeedback.decision_id)
        .where(AiFeedback.field == DEFLECTION_FIELD, AiFeedback.action == FeedbackAction.ACCEPTED,
               AiDecision.kind == DecisionKind.ANSWER, AiDecision.abstained.is_(False))
        .order_by(AiFeedback.created_at.desc(), AiFeedback.id.desc())
        .limit(limit))
    found: dict[str, str] = {}
    for decision_id, sources in rows:
        slug = _answering_source(sources, approved)
        if slug is not None:
            found.setdefault(f"{_DEFLECTION}:{decision_id}", slug)
    return found


def _answering_source(sources: Any, approved: Mapping[str, int]) -> str | None:
    """The article the answer was built from (its first source), if that article still counts."""
    first = sources[0] if isinstance(sources, list) and sources else None
    if not isinstance(first, dict):
        return None
    slug, version = first.get("slug"), first.get("version")
    if not isinstance(slug, str) or not isinstance(version, int):
        return None
    return slug if 1 <= version <= approved.get(slug, 0) else None


def _resolved_tickets(session: Session, approved: Mapping[str, int], limit: int) -> dict[str, str]:
    # Public replies by someone other than the requester (the system actor has no user id), newest resolved
    # ticket first. Bodies are sealed at rest (sealed_storage.py), so which reply looks like it cites is decided
    # here, not by SQL: the last such reply of each of the `limit` newest tickets that have one.
    resolved_at = func.coalesce(Ticket.resolved_at, Ticket.closed_at, Ticket.updated_at)
    replies = session.execute(
        select(TicketMessage.ticket_id, TicketMessage.body)
        .join(Ticket, Ticket.id == TicketMessage.ticket_id)
        .where(Ticket.status.in_(_RESOLVED), TicketMessage.kind == MessageKind.PUBLIC_REPLY,
               TicketMessage.author_id.is_not(None), TicketMessage.author_id != Ticket.requester_id)
        .order_by(resolved_at.desc(), Ticket.id.desc(), TicketMessage.id)
        .execution_options(yield_per=500))
    last_reply: dict[int, str] = {}
    for ticket_id, body in replies:
        if ticket_id not in last_reply and len(last_reply) == limit:
            break
        if _looks_citing(body):
            last_reply[ticket_id] = body
    found: dict[str, str] = {}
    for ticket_id, body in last_reply.items():
        for slug in _cited(body, approved):
            found[f"{_TICKET}:{ticket_id}:{slug}"] = slug
    return found


def _looks_citing(body: str) -> bool:
    """What the SQL pattern '%[% v%]%' matched: a bracket, later " v", later a closing bracket."""
    opening = body.find("[")
    version = body.find(" v", opening + 1) if opening >= 0 else -1
    return version >= 0 and body.find("]", version + 2) >= 0


def _cited(text: str, approved: Mapping[str, int]) -> list[str]:
    """The articles a reply cites, in order, at a version not newer than the approved one (drafts are never
    shown to anyone who could cite them)."""
    slugs = (slug for slug, version in CITATION.findall(text) if 1 <= int(version) <= approved.get(slug, 0))
    return list(dict.fromkeys(slugs))

