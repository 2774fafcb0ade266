"""The demo desk's past chats and AI drafts, recorded the way the product records them, back-dated with the
ticket history they belong to.

- Every historical chat ticket began as a conversation the assistant could not solve: the requester asked,
  the assistant found no article that answered it and opened the ticket (its hand-off summary decision).
- Other chats were solved by the assistant's answer from an approved article (a deflection, the answer
  decision confirmed), or left without a word after the answer (withdrawn).
- On part of the resolved tickets the agent sent the AI's drafted reply, as it was or edited.

Each conversation is built in memory at the times the story happened, by the state machine and with the
messages the product writes, and all of them are written together: a few multi-row INSERTs per table instead of
a flush per message (most of a demo load was those). The decisions, the feedback and the audit events that need
their ids are recorded through the services afterwards, in the story's order. Seeded, so every load tells the
same story; skipped when the desk already has conversations.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import User
from deskpilot.accounts.principal import Principal
from deskpilot.audit import decisions
from deskpilot.audit import service as audit
from deskpilot.audit.decisions_models import AiDecision
from deskpilot.audit.enums import DecisionKind
from deskpilot.clock import utcnow
from deskpilot.conversations import service, troubleshoot
from deskpilot.conversations import state as machine
from deskpilot.conversations.enums import Resolution
from deskpilot.conversations.handoff import HandoffReason
from deskpilot.conversations.models import Conversation, ConversationMessage
from deskpilot.conversations.state import Author, ConversationEvent, ConversationState, Owner, Speaker
from deskpilot.conversations.steps import numbered_steps
from deskpilot.demo.build_tickets import HISTORY_DAYS, TEMPLATES_FILE, write_texts
from deskpilot.errors import Conflict
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
    history = list(session.scalars(select(Ticket).where(Ticket.external_id.is_not(None)).order_by(Ticket.id)
                                   .options(selectinload(Ticket.messages))))
    chat_tickets = [t for t in history if t.channel is Channel.CHAT]
    stories = [_handed_off(ticket, people[ticket.requester_id], actor) for ticket in chat_tickets]
    articles = _articles(session)
    questions = _questions(rng, articles)
    requesters = [p for p in people.values() if p.role is Role.REQUESTER]
    for count, solved in ((round(len(chat_tickets) * DEFLECTED_PER_CHAT_TICKET), True),
                          (round(len(chat_tickets) * WITHDRAWN_PER_CHAT_TICKET), False)):
        for _ in range(count):
            slug, question = rng.choice(questions)
            started = utcnow() - timedelta(days=rng.randint(0, HISTORY_DAYS - 1), hours=rng.randint(1, 10))
            stories.append(_answered(rng, question, articles[slug], rng.choice(requesters), started, solved=solved))
    _write(session, stories)
    drafts = []
    for ticket in history:
        agent = ticket.messages[-1].author_id  # the resolution reply, when the history has one
        if ticket.resolved_at is not None and agent is not None and agent == ticket.assignee_id \
                and rng.random() < DRAFT_SHARE:
            drafts.append(_drafted(rng, ticket, people[agent]))
    _write_drafts(session, drafts)
    return len(stories)


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


@dataclass
class _Story:
    """One past conversation, built in memory and written together with the others (a few statements per table
    instead of a flush per message)."""

    conversation: Conversation
    started: datetime
    decide: Callable[[int], AiDecision]  # its AI decision, once the conversation has its id
    answer: ConversationMessage | None = None  # the message that carries that decision
    audited: list[Callable[[Session, AiDecision], None]] = field(default_factory=list)


def _conversation(requester: Principal, subject: str, started: datetime) -> Conversation:
    conversation = Conversation(requester_id=requester.user_id, channel=Channel.CHAT, subject=subject,
                                state=ConversationState.ASSISTANT_ANSWERING, owner_kind=Owner.ASSISTANT, client={},
                                facts={}, troubleshooting={}, created_at=started, updated_at=started)
    _say(conversation, SYSTEM, service.SCOPE_STATEMENT)
    return conversation


def _say(conversation: Conversation, speaker: Speaker, body: str, *, citations: list[dict[str, Any]] | None = None,
         confidence: float | None = None) -> ConversationMessage:
    """A message written a minute after the one before it, as the product stores it (`service.say`)."""
    if not machine.may_speak(conversation.state, speaker, owner_agent_id=conversation.owner_agent_id):
        raise Conflict(f"the demo story lets {speaker.author} speak in state {conversation.state}")
    message = ConversationMessage(
        author_kind=speaker.author, author_id=speaker.user_id, body=body,
        ai_assisted=speaker.author in (Author.ASSISTANT, Author.SYSTEM), citations=citations or [],
        confidence=confidence, created_at=conversation.created_at + timedelta(minutes=len(conversation.messages)))
    conversation.messages.append(message)
    conversation.updated_at = message.created_at
    return message


def _move(story: _Story, event: ConversationEvent, actor: Principal, at: datetime) -> None:
    """The state machine's step (`service.transition`), audited as it audits it once the rows have ids."""
    conversation = story.conversation
    before = conversation.state
    conversation.state = machine.apply(before, event)
    conversation.owner_kind = machine.owner_of(conversation.state)
    conversation.updated_at = at
    if conversation.state is ConversationState.RESOLVED:
        conversation.resolved_at = at
    after = conversation.state
    if event in service.AUDITED:
        story.audited.append(lambda session, _decision: _audit(session, actor, f"conversation.{event}", conversation,
                                                               state_before=before, state=after))


def _audit(session: Session, actor: Principal, action: str, conversation: Conversation, **after: Any) -> None:
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action=action,
                 subject_type="conversation", subject_id=conversation.id, after=after)


def _handed_off(ticket: Ticket, requester: Principal, actor: Principal) -> _Story:
    """The conversation a chat ticket came from: asked, no article answered it, the ticket was opened."""
    conversation = _conversation(requester, ticket.subject, ticket.created_at)
    _say(conversation, Speaker(Author.REQUESTER, requester.user_id), ticket.description)

    def decide(conversation_id: int) -> AiDecision:
        return decisions.new_decision(
            kind=DecisionKind.SUMMARY, model_version=MODEL, input_redacted=ticket.subject,
            outputs={"ticket_id": ticket.id, "reason": NO_ARTICLE, "reason_code": HandoffReason.NO_ARTICLE.value,
                     "steps_tried": 0}, confidence=0.0, abstained=False,
            explanation={"conversation_id": conversation_id}, subject_type="conversation", subject_id=conversation_id)

    story = _Story(conversation, ticket.created_at, decide)
    _say(conversation, ASSISTANT, "I found no approved article that answers this, so I have "
         f"opened ticket #{ticket.id} for the service desk with our conversation attached.")
    conversation.ticket_id, conversation.resolution = ticket.id, Resolution.TICKET
    _move(story, E.TICKET_OPENED, requester, conversation.updated_at)
    if ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        _move(story, E.CLOSED, actor, ticket.resolved_at or conversation.updated_at)
    return story


def _answered(rng: random.Random, question: str, article: KbArticleVersion, requester: Principal,
              started: datetime, *, solved: bool) -> _Story:
    """A question the assistant answered from `article`; the requester confirmed it (deflected) or left."""
    conversation = _conversation(requester, question[:300], started)
    asker = Speaker(Author.REQUESTER, requester.user_id)
    _say(conversation, asker, question)
    citation = troubleshoot.citation(article.article.slug, article.version, article.title)
    steps = numbered_steps(article.body)
    text = f"{article.title}: " + (" ".join(steps[:3]) if steps else article.body[:400]) + f" {citation['citation']}"
    confidence = round(rng.uniform(0.6, 0.95), 2)

    def decide(conversation_id: int) -> AiDecision:
        return decisions.new_decision(
            kind=DecisionKind.ANSWER, model_version=MODEL, input_redacted=question,
            outputs={"text": text, "citations": [citation["citation"]], "rephrased": False, "decision": "answer"},
            confidence=confidence, abstained=False,
            sources=[{"slug": article.article.slug, "version": article.version}], subject_type="conversation",
            subject_id=conversation_id)

    story = _Story(conversation, started, decide)
    story.answer = _say(conversation, ASSISTANT, f"{text}\n\nDid this solve it?", citations=[citation],
                        confidence=confidence)
    conversation.facts = {"answer_slug": article.article.slug}
    _move(story, E.ANSWERED, requester, conversation.updated_at)
    if solved:
        _say(conversation, asker, rng.choice(THANKS))
        story.audited.append(lambda session, decision: _deflected(session, decision, requester, conversation))
        conversation.resolution = Resolution.SELF_SERVICE
        _say(conversation, ASSISTANT, troubleshoot.solved_message("Glad that solved it."))
        _move(story, E.SOLVED, requester, conversation.updated_at)
        _say(conversation, SYSTEM, service.RATING_QUESTION)
        if rng.random() < RATED_SHARE:
            score = rng.choice((4, 5, 5, 5))
            conversation.csat_score = score
            story.audited.append(lambda session, _decision: _audit(session, requester, "conversation.csat",
                                                                   conversation, score=score))
    else:
        conversation.resolution = Resolution.WITHDRAWN
        _move(story, E.CLOSED, requester, conversation.updated_at)
    _end(conversation, started + timedelta(minutes=rng.randint(2, 15)))
    return story


def _end(conversation: Conversation, ended: datetime) -> None:
    """The conversation was last touched when it ended, a few minutes after it began."""
    conversation.updated_at = ended
    if conversation.resolved_at is not None:
        conversation.resolved_at = ended
    if conversation.csat_score is not None:
        conversation.csat_at = ended


def _deflected(session: Session, decision: AiDecision, requester: Principal, conversation: Conversation) -> None:
    """The requester confirmed the answer (`troubleshoot.confirm_deflection`), when the conversation ended."""
    troubleshoot.confirm_deflection(session, conversation, requester, "resolved by self-service")
    for feedback in decisions.get_feedback(session, decision_id=decision.id):
        feedback.created_at = conversation.updated_at


def _write(session: Session, stories: list[_Story]) -> None:
    """The conversations and their messages, then their decisions, then what needs both ids (audit, feedback)."""
    session.add_all(story.conversation for story in stories)
    session.flush()
    made = [story.decide(story.conversation.id) for story in stories]
    for story, decision in zip(stories, made, strict=True):
        decision.created_at = story.started
    session.add_all(made)
    session.flush()
    for story, decision in zip(stories, made, strict=True):
        if story.answer is not None:
            story.answer.decision_id = decision.id
            story.conversation.facts = story.conversation.facts | {"answer_decision_id": decision.id}
        for step in story.audited:
            step(session, decision)
    session.flush()


@dataclass
class _Draft:
    ticket: Ticket
    agent: Principal
    decision: AiDecision


def _drafted(rng: random.Random, ticket: Ticket, agent: Principal) -> _Draft:
    """The ticket's resolution reply was the AI's draft: sent as drafted, or after the agent reworded it."""
    reply = ticket.messages[-1]
    suggested = reply.body if rng.random() > EDITED_SHARE else f"Hello, {reply.body[:1].lower()}{reply.body[1:]}"
    draft = decisions.new_decision(
        kind=DecisionKind.DRAFT, model_version=MODEL, input_redacted=ticket.subject,
        outputs={"text": suggested, "citations": []}, confidence=round(rng.uniform(0.55, 0.9), 2),
        abstained=False, subject_type="ticket", subject_id=ticket.id)
    draft.created_at = reply.created_at - timedelta(minutes=5)
    return _Draft(ticket, agent, draft)


def _write_drafts(session: Session, drafts: list[_Draft]) -> None:
    """The drafts at once, then each one's judgement as `judge_sent` records it when the reply is sent."""
    session.add_all(d.decision for d in drafts)
    session.flush()
    for draft in drafts:
        reply = draft.ticket.messages[-1]
        feedback = judge_sent(session, draft=draft.decision, text=reply.body, actor=draft.agent)
        reply.ai_assisted = True
        feedback.created_at = reply.created_at
    session.flush()
