"""The demo desk's past chats and AI drafts, recorded the way the product records them, back-dated with the
ticket history they belong to.

- Every historical chat ticket began as a conversation the assistant could not solve: the requester asked,
  the assistant found no article that answered it and opened the ticket (its hand-off summary decision).
- Other chats were solved by the assistant's answer from an approved article (a deflection, the answer
  decision confirmed), or left without a word after the answer (withdrawn).
- On part of the resolved tickets the agent sent the AI's drafted reply, as it was or edited.

The conversation and ticket services write the rows (state machine, decisions, feedback, audit); the times are
then moved to when the story happened. Seeded, so every load tells the same story; skipped when the desk
already has conversations.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import User
from deskpilot.accounts.principal import Principal
from deskpilot.audit import decisions
from deskpilot.audit.decisions_models import AiDecision, AiFeedback
from deskpilot.audit.enums import DecisionKind
from deskpilot.clock import utcnow
from deskpilot.conversations import service, troubleshoot
from deskpilot.conversations.enums import Resolution
from deskpilot.conversations.handoff import HandoffReason
from deskpilot.conversations.models import Conversation
from deskpilot.conversations.state import Author, ConversationEvent, Speaker
from deskpilot.conversations.steps import numbered_steps
from deskpilot.demo.build_tickets import HISTORY_DAYS, TEMPLATES_FILE, write_texts
from deskpilot.kb.drafts import judge_sent
from deskpilot.kb.models import KbArticle, KbArticleVersion
from deskpilot.tickets.enums import Channel, TicketStatus
from deskpilot.tickets.models import Ticket

E = ConversationEvent
ASSISTANT, SYSTEM = Speaker(Author.ASSISTANT), Speaker(Author.SYSTEM)
MODEL = "kb-hybrid/demo-history"  # the decisions of the demo's past, told apart from live ones
SEED = 2026
DEFLECTED_PER_CHAT_TICKET = 0.75  # chats the answer solved, per chat that became a ticket
WITHDRAWN_PER_CHAT_TICKET = 0.15  # chats left after the answer, per chat that became a ticket
DRAFT_SHARE = 0.4  # resolved tickets whose resolution was the AI's draft, sent as is or edited
EDITED_SHARE = 0.35  # of those: the agent reworded it first
RATED_SHARE = 0.5  # conversations the requester rated
NO_ARTICLE = "The assistant found no approved article that answers it."
THANKS = ("yes, that fixed it, thanks", "yes thank you", "that worked, thanks!", "yes")


def load_chats(session: Session, *, actor: Principal) -> int:
    """Record the past conversations and drafts; returns the conversations added (0 when there were some)."""
    if session.scalar(select(func.count()).select_from(Conversation)):
        return 0
    rng = random.Random(SEED)
    people = {u.id: Principal.of(u) for u in session.scalars(select(User))}
    history = list(session.scalars(select(Ticket).where(Ticket.external_id.is_not(None)).order_by(Ticket.id)))
    chat_tickets = [t for t in history if t.channel is Channel.CHAT]
    for ticket in chat_tickets:
        _handed_off(session, ticket, people[ticket.requester_id], actor)
    articles = _articles(session)
    questions = _questions(rng, articles)
    requesters = [p for p in people.values() if p.role is Role.REQUESTER]
    added = len(chat_tickets)
    for count, solved in ((round(len(chat_tickets) * DEFLECTED_PER_CHAT_TICKET), True),
                          (round(len(chat_tickets) * WITHDRAWN_PER_CHAT_TICKET), False)):
        for _ in range(count):
            slug, question = rng.choice(questions)
            started = utcnow() - timedelta(days=rng.randint(0, HISTORY_DAYS - 1), hours=rng.randint(1, 10))
            _answered(session, rng, question, articles[slug], rng.choice(requesters), started, solved=solved)
            added += 1
    for ticket in history:
        agent = ticket.messages[-1].author_id  # the resolution reply, when the history has one
        if ticket.resolved_at is not None and agent is not None and agent == ticket.assignee_id \
                and rng.random() < DRAFT_SHARE:
            _drafted(session, rng, ticket, people[agent])
    return added


def _articles(session: Session) -> dict[str, KbArticleVersion]:
    rows = session.execute(select(KbArticle.slug, KbArticleVersion).join(
        KbArticleVersion, (KbArticleVersion.article_id == KbArticle.id)
        & (KbArticleVersion.version == KbArticle.approved_version)))
    return {slug: version for slug, version in rows}


def _questions(rng: random.Random, articles: dict[str, KbArticleVersion]) -> list[tuple[str, str]]:
    """(article slug, question) written from the ticket scenarios an approved article answers."""
    common: dict[str, Any] = yaml.safe_load(TEMPLATES_FILE.read_text(encoding="utf-8"))
    return [(scenario["article"], description) for scenario in common["scenarios"] if scenario["article"] in articles
            for _, description in write_texts(scenario, common, rng)]


def _handed_off(session: Session, ticket: Ticket, requester: Principal, actor: Principal) -> None:
    """The conversation a chat ticket came from: asked, no article answered it, the ticket was opened."""
    conversation = service.create(session, actor=requester, channel=Channel.CHAT)
    conversation.subject = ticket.subject
    service.say(session, conversation, Speaker(Author.REQUESTER, requester.user_id), ticket.description)
    decision = decisions.record_decision(
        session, kind=DecisionKind.SUMMARY, model_version=MODEL, input_redacted=ticket.subject,
        outputs={"ticket_id": ticket.id, "reason": NO_ARTICLE, "reason_code": HandoffReason.NO_ARTICLE.value,
                 "steps_tried": 0}, confidence=0.0, abstained=False,
        explanation={"conversation_id": conversation.id}, subject_type="conversation", subject_id=conversation.id)
    service.say(session, conversation, ASSISTANT, "I found no approved article that answers this, so I have "
                f"opened ticket #{ticket.id} for the service desk with our conversation attached.")
    conversation.ticket_id, conversation.resolution = ticket.id, Resolution.TICKET
    service.transition(session, conversation, E.TICKET_OPENED, actor=requester)
    ended = ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
    if ended:
        service.transition(session, conversation, E.CLOSED, actor=actor)
    _back_date(session, conversation, ticket.created_at, ticket.resolved_at if ended else None, [decision])


def _answered(session: Session, rng: random.Random, question: str, article: KbArticleVersion, requester: Principal,
              started: datetime, *, solved: bool) -> None:
    """A question the assistant answered from `article`; the requester confirmed it (deflected) or left."""
    conversation = service.create(session, actor=requester, channel=Channel.CHAT)
    conversation.subject = question[:300]
    service.say(session, conversation, Speaker(Author.REQUESTER, requester.user_id), question)
    citation = troubleshoot.citation(article.article.slug, article.version, article.title)
    steps = numbered_steps(article.body)
    text = f"{article.title}: " + (" ".join(steps[:3]) if steps else article.body[:400]) + f" {citation['citation']}"
    decision = decisions.record_decision(
        session, kind=DecisionKind.ANSWER, model_version=MODEL, input_redacted=question,
        outputs={"text": text, "citations": [citation["citation"]], "rephrased": False, "decision": "answer"},
        confidence=round(rng.uniform(0.6, 0.95), 2), abstained=False,
        sources=[{"slug": article.article.slug, "version": article.version}],
        subject_type="conversation", subject_id=conversation.id)
    service.say(session, conversation, ASSISTANT, f"{text}\n\nDid this solve it?", citations=[citation],
                confidence=decision.confidence, decision_id=decision.id)
    conversation.facts = conversation.facts | {"answer_decision_id": decision.id,
                                               "answer_slug": article.article.slug}
    service.transition(session, conversation, E.ANSWERED, actor=requester)
    if solved:
        service.say(session, conversation, Speaker(Author.REQUESTER, requester.user_id), rng.choice(THANKS))
        troubleshoot.confirm_deflection(session, conversation, requester, "resolved by self-service")
        troubleshoot.resolve(session, conversation, requester, "Glad that solved it.")
        if rng.random() < RATED_SHARE:
            service.rate(session, actor=requester, conversation_id=conversation.id, score=rng.choice((4, 5, 5, 5)))
    else:
        conversation.resolution = Resolution.WITHDRAWN
        service.transition(session, conversation, E.CLOSED, actor=requester)
    ended = started + timedelta(minutes=rng.randint(2, 15))
    _back_date(session, conversation, started, ended, [decision])


def _drafted(session: Session, rng: random.Random, ticket: Ticket, agent: Principal) -> None:
    """The ticket's resolution reply was the AI's draft: sent as drafted, or after the agent reworded it."""
    reply = ticket.messages[-1]
    suggested = reply.body if rng.random() > EDITED_SHARE else f"Hello, {reply.body[:1].lower()}{reply.body[1:]}"
    draft = decisions.record_decision(
        session, kind=DecisionKind.DRAFT, model_version=MODEL, input_redacted=ticket.subject,
        outputs={"text": suggested, "citations": []}, confidence=round(rng.uniform(0.55, 0.9), 2),
        abstained=False, subject_type="ticket", subject_id=ticket.id)
    feedback = judge_sent(session, draft=draft, text=reply.body, actor=agent)
    reply.ai_assisted = True
    draft.created_at = reply.created_at - timedelta(minutes=5)
    feedback.created_at = reply.created_at


def _back_date(session: Session, conversation: Conversation, started: datetime, ended: datetime | None,
               made: list[AiDecision]) -> None:
    """Move the conversation, its messages, decisions and feedback to when they happened (a minute apart)."""
    for i, message in enumerate(conversation.messages):
        message.created_at = started + timedelta(minutes=i)
    last = conversation.messages[-1].created_at
    conversation.created_at, conversation.updated_at = started, ended or last
    if conversation.resolved_at is not None:
        conversation.resolved_at = ended or last
    if conversation.csat_at is not None:
        conversation.csat_at = ended or last
    for decision in made:
        decision.created_at = started
    for feedback in session.scalars(select(AiFeedback).where(AiFeedback.decision_id.in_([d.id for d in made]))):
        feedback.created_at = ended or last
    session.flush()
