"""The assistant's side of a chat: what is asked (`intents.py`) → small talk, ticket status, a ticket on request
or a person at once; a problem or how-to gets triage → grounded answer with sources → "Did this solve it?" → guided
troubleshooting one step at a time → a ticket with the full context, or a person whenever asked.

The state machine (`state.py`) decides who may speak; this module decides what the assistant says.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.assist.dialogue import RetrievalQuery
from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.assist.retrieval import HybridRetriever
from deskpilot.assist.verifier import Rephraser
from deskpilot.audit import decisions
from deskpilot.config import Settings
from deskpilot.conversations import (
    handoff,
    password_help,
    phrases,
    routing,
    service,
    small_talk,
    status,
    troubleshoot,
)
from deskpilot.conversations.enums import Resolution
from deskpilot.conversations.handoff import HandoffReason as R
from deskpilot.conversations.intents import Intent, IntentModel, IntentReading
from deskpilot.conversations.models import Conversation, ConversationMessage
from deskpilot.conversations.replies import Reply, classify, wants_human, wants_ticket
from deskpilot.conversations.state import Author, ConversationEvent, ConversationState, Owner, Speaker
from deskpilot.conversations.steps import numbered_steps
from deskpilot.errors import PermissionDenied
from deskpilot.governance import switches
from deskpilot.governance.enums import Capability
from deskpilot.kb.answering import answer_question
from deskpilot.ml.embeddings import Vectors
from deskpilot.runbooks.mailer import Mailer
from deskpilot.runbooks.steps import DirectoryFactory
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import Channel, MessageKind, TicketStatus
from deskpilot.tickets.schemas import MessageCreate
from deskpilot.triage.engine import TriageEngine

log = logging.getLogger(__name__)
S, E = ConversationState, ConversationEvent
ASSISTANT = Speaker(Author.ASSISTANT)
SYSTEM = Speaker(Author.SYSTEM)
CONTEXT_TURNS = 6
CONFIRM = phrases.phrase("confirm", phrases.ENGLISH)
# Mid-answer or mid-steps, "please open a ticket" opens one at once, with what was tried so far.
TICKET_ON_REQUEST = frozenset({S.AWAITING_CONFIRMATION, S.CLARIFYING, S.TROUBLESHOOTING, S.OFFERING_TICKET})


@dataclass(frozen=True)
class Assistant:
    """What the assistant answers with: the synced KB index (and its embedder), the settings, the reset
    examples' vectors, the triage engine, the intent model, an optional verified rephraser; the self-service
    reset's code mailer and directory (the configured SMTP server and LDAP by default).
    `runtime.chat_assistant` builds it for any channel."""

    index: KbIndex
    settings: Settings
    reset_intent: password_help.ResetIntent
    triage: TriageEngine
    intents: IntentModel
    rephraser: Rephraser | None = None
    mailer: Mailer | None = None
    directory_factory: DirectoryFactory | None = None

    def tools(self) -> password_help.Tools:
        return password_help.Tools(settings=self.settings, reset_intent=self.reset_intent, mailer=self.mailer,
                                   directory_factory=self.directory_factory)


@dataclass(frozen=True)
class Turn:
    """One posted message and what it got in reply; `replayed` when a retried POST found it already stored."""

    conversation: Conversation
    message: ConversationMessage
    replies: list[ConversationMessage]
    replayed: bool = False


def start(session: Session, *, actor: Principal, assistant: Assistant, body: str | None = None,
          channel: Channel = Channel.CHAT, client: dict[str, str] | None = None,
          idempotency_key: str | None = None) -> tuple[Conversation, Turn | None]:
    """A new conversation, and the first turn when the requester already said what they need."""
    service.check_new_conversation(session, actor=actor, settings=assistant.settings)
    conversation = service.create(session, actor=actor, channel=channel, client=client)
    if body is None or not body.strip():
        return conversation, None
    return conversation, post(session, actor=actor, conversation_id=conversation.id, body=body,
                              assistant=assistant, idempotency_key=idempotency_key)


def post(session: Session, *, actor: Principal, conversation_id: int, body: str, assistant: Assistant,
         idempotency_key: str | None = None) -> Turn:
    """The requester writes; the owner of the conversation (assistant or person) gets it. Safe to retry."""
    conversation = service.get(session, actor=actor, conversation_id=conversation_id, lock=True)
    if conversation.requester_id != actor.user_id:
        message = service.agent_reply(session, actor=actor, conversation_id=conversation_id, body=body,
                                      idempotency_key=idempotency_key)
        return Turn(conversation, message, [])
    text = service.check_body(body)
    existing = service.find_by_key(session, conversation, idempotency_key)
    if existing is not None:
        return Turn(conversation, existing, service.replies_after(session, existing), replayed=True)
    message = service.say(session, conversation, Speaker(Author.REQUESTER, actor.user_id),
                          password_help.stored_text(conversation, text), idempotency_key=idempotency_key)
    _respond(session, conversation, actor, assistant, text)
    return Turn(conversation, message, service.replies_after(session, message))


def hand_off(session: Session, *, actor: Principal, conversation_id: int, assistant: Assistant) -> Conversation:
    """"Talk to a human": a ticket is created (or the existing one linked) so an agent sees it. Idempotent."""
    conversation = service.get(session, actor=actor, conversation_id=conversation_id, lock=True)
    if conversation.requester_id != actor.user_id:
        raise PermissionDenied("Only the person who asked can request a hand-off; agents join instead.")
    _hand_off(session, conversation, actor, assistant)
    return conversation


def _respond(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant,
             text: str) -> None:
    if conversation.state is S.ASSISTANT_ANSWERING:
        _respond_to_request(session, conversation, actor, assistant, text)
    elif wants_human(text):
        _hand_off(session, conversation, actor, assistant)
    elif conversation.owner_kind is Owner.HUMAN:
        _mirror_to_ticket(session, conversation, actor, text)
    elif _asks_for_a_person(assistant, text):
        _hand_off(session, conversation, actor, assistant)
    elif conversation.state in TICKET_ON_REQUEST and wants_ticket(text):
        troubleshoot.open_ticket(session, conversation, actor, assistant, code=R.REQUESTER_ASKED,
                                 reason="The requester asked to open a ticket.")
    elif conversation.state is S.AWAITING_CONFIRMATION:
        _after_answer(session, conversation, actor, assistant, text)
    elif conversation.state in troubleshoot.STATES:
        _troubleshoot(session, conversation, actor, assistant, text)
    elif conversation.state is S.SELF_SERVICE:
        question = password_help.on_message(session, conversation, actor, assistant.tools(), text)
        if question:
            _answer(session, conversation, actor, assistant, question, offer_self_service=False)


def _asks_for_a_person(assistant: Assistant, text: str) -> bool:
    """Mid-answer or mid-steps, only a confident request for a person changes the course; a yes or no is an
    answer to the question asked and is not read (nor embedded) here."""
    return classify(text) is Reply.OTHER and assistant.intents.read(text).intent is Intent.HANDOFF


def _respond_to_request(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant,
                        text: str) -> None:
    """A message to the assistant with nothing pending but maybe a ticket's description: read what it asks."""
    # The message is embedded once: the intent model, the reset offer and the retrieval share the vector.
    vector = assistant.index.embedder.encode([text.strip()])[0]
    reading = routing.with_explicit_handoff(assistant.intents.read(text, vector=vector), text)
    routing.record(conversation, reading)
    if routing.waits_for_description(conversation) and routing.describes_a_ticket(reading):
        _open_requested(session, conversation, actor, assistant, text)
        return
    routing.wait_for_description(conversation, False)
    brief = small_talk.answer(reading.intent)
    if reading.intent is Intent.OUT_OF_SCOPE and _kb_covers(assistant, text, vector):
        brief = None  # the desk's own approved articles say what is in scope (a room-booking article, say)
    if brief is not None:
        service.say(session, conversation, ASSISTANT, brief, confidence=reading.confidence)
    elif reading.intent is Intent.HANDOFF:
        _hand_off(session, conversation, actor, assistant)
    elif reading.intent is Intent.TICKET_STATUS:
        answer = status.status_reply(session, actor=actor, text=text)
        conversation.facts = conversation.facts | {"status_ticket_ids": answer.ticket_ids}
        service.say(session, conversation, ASSISTANT, answer.text, confidence=reading.confidence)
    elif reading.intent is Intent.OPEN_TICKET:
        routing.wait_for_description(conversation, True)
        service.say(session, conversation, ASSISTANT, routing.ASK_WHAT_IS_WRONG, confidence=reading.confidence)
    else:
        _answer(session, conversation, actor, assistant, text, question_vector=vector, reading=reading)


def _kb_covers(assistant: Assistant, text: str, vector: Vectors) -> bool:
    """Whether the KB answers the question confidently, though the intent model thought it out of scope."""
    result = HybridRetriever(assistant.index).search(RetrievalQuery.from_dialogue(text, ""), k=3,
                                                     utterance_vector=vector)
    return result.confidence >= assistant.settings.answer_abstain_below


def _open_requested(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant,
                    text: str) -> None:
    """The requester asked for a ticket and has now said what is wrong: open it with their words."""
    routing.wait_for_description(conversation, False)
    conversation.subject = " ".join(text.split())[:300]
    routing.triage_onto(session, conversation, assistant.triage, text, assistant.settings)
    handed = handoff.open_ticket(session, conversation=conversation, requester=actor, settings=assistant.settings,
                                 triage=assistant.triage, reason="The requester asked to open a ticket.",
                                 code=R.REQUESTER_ASKED)
    conversation.resolution = Resolution.TICKET
    service.transition(session, conversation, E.TICKET_OPENED, actor=actor)
    service.say(session, conversation, SYSTEM,
                f"I opened ticket DP-{handed.ticket.id} for you: \u201c{handed.ticket.subject}\u201d. "
                f"{handoff.promise(handed.ticket)} A person from the service desk will reply here and on the ticket.")


def _context(conversation: Conversation) -> str:
    """Earlier turns, newest first, in the retriever's `role:text || ...` form (agents count as agents)."""
    turns = [m for m in conversation.messages if m.author_kind is not Author.SYSTEM][:-1]
    parts = [f"{'user' if m.author_kind is Author.REQUESTER else 'agent'}:{m.body.replace('||', '|')[:500]}"
             for m in reversed(turns[-CONTEXT_TURNS:])]
    return " || ".join(parts)


def _answer(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant,
            question: str, *, offer_self_service: bool = True, question_vector: Vectors | None = None,
            reading: IntentReading | None = None) -> None:
    if not conversation.subject:
        conversation.subject = " ".join(question.split())[:300]
    previous_language = conversation.facts.get("language")
    intent, intent_score = routing.triage_onto(session, conversation, assistant.triage, question, assistant.settings)
    language = phrases.requester_language(question, previous_language)
    conversation.facts = conversation.facts | {"language": language}
    if reading is not None and reading.intent in routing.SELF_SERVICE_INTENTS:
        intent, intent_score = routing.SELF_SERVICE_INTENTS[reading.intent], reading.confidence
    # Embedded once per question; the reset offer and the retrieval use this vector.
    vector = question_vector if question_vector is not None else assistant.index.embedder.encode(
        [question.strip()])[0]
    if offer_self_service and password_help.offer(session, conversation, actor, assistant.tools(), question,
                                                  question_vector=vector, intent=intent, intent_score=intent_score):
        return
    if troubleshoot.start_from_error(session, conversation, actor, assistant, question):
        return
    index = _search_index(assistant.index, language)
    outcome = answer_question(session, actor=actor, index=index, question=question,
                              context=_context(conversation), abstain_below=assistant.settings.answer_abstain_below,
                              rephraser=assistant.rephraser, language=language,
                              question_vector=vector if index is assistant.index else None)
    decisions.attach_subject(session, decision_id=outcome.decision_id, subject_type="conversation",
                             subject_id=conversation.id)
    if switches.withheld(session, Capability.CHAT_DEFLECTION, decision_id=outcome.decision_id,
                         channel=conversation.channel, queue=conversation.facts.get("queue")):
        troubleshoot.open_ticket(session, conversation, actor, assistant, reason=switches.WITHHELD_REASON,
                                 code=R.OTHER)
        return
    if troubleshoot.clarify(session, conversation, actor, assistant, question, outcome.search):
        return
    answer = outcome.answer
    if not answer.abstained:
        citations = [troubleshoot.citation(d.slug, d.version, d.title) for d in outcome.sources]
        text = f"{_language_notice(outcome.sources[0], language)}{answer.text}"
        service.say(session, conversation, ASSISTANT, f"{text}\n\n{phrases.phrase('confirm', language)}",
                    citations=citations,
                    confidence=answer.confidence, decision_id=outcome.decision_id)
        conversation.facts = conversation.facts | {"answer_decision_id": outcome.decision_id,
                                                   "answer_slug": outcome.sources[0].slug,
                                                   "answer_citations": list(answer.citations)}
        service.transition(session, conversation, E.ANSWERED, actor=actor)
        return
    slug = troubleshoot.best_article_with_steps(outcome.search, assistant.settings.answer_abstain_below)
    if slug is None:
        troubleshoot.offer_ticket(session, conversation, actor, opening="I found no approved article that answers "
                                  "this.", reason="The assistant found no approved article that answers it.",
                                  code=R.NO_ARTICLE)
        return
    service.say(session, conversation, ASSISTANT, phrases.phrase("may_fit", language),
                confidence=answer.confidence, decision_id=outcome.decision_id)
    troubleshoot.start_steps(session, conversation, actor, assistant, slug)


def _search_index(index: KbIndex, language: str) -> KbIndex:
    """A question not in English is searched with the multilingual embedder (when the runtime has one)."""
    return (index.cross_lingual() or index) if language != phrases.ENGLISH else index


def _language_notice(document: KbDocument, language: str) -> str:
    """Said before an answer from an article not in the requester's language (the English original)."""
    if document.language == language:
        return ""
    notice = phrases.phrase("article_in_english", language)
    return f"{notice}\n\n" if notice else ""


def _after_answer(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant,
                  text: str) -> None:
    reply = classify(text)
    answers = [*conversation.facts.get("answers", []), {"question": CONFIRM, "answer": text[:500]}]
    conversation.facts = conversation.facts | {"answers": answers}
    if reply is Reply.YES:
        troubleshoot.confirm_deflection(session, conversation, actor, "resolved by self-service")
        troubleshoot.resolve(session, conversation, actor, "Glad that solved it.")
    elif reply is Reply.NO:
        troubleshoot.remember(conversation, text)
        if troubleshoot.start_from_error(session, conversation, actor, assistant, text):
            return
        slug = conversation.facts.get("answer_slug")
        document = assistant.index.documents.get(str(slug)) if slug else None
        if document is None or not numbered_steps(document.text):
            troubleshoot.offer_ticket(session, conversation, actor, opening="Sorry that did not solve it, and its "
                                      "article has no steps to try.",
                                      reason="The suggested answer did not help and its article has no steps to try.",
                                      code=R.ANSWER_DID_NOT_HELP)
            return
        troubleshoot.start_steps(session, conversation, actor, assistant, document.slug,
                                 opening="Sorry that did not solve it. Let us go through the steps one at a time.")
    else:
        service.transition(session, conversation, E.NEW_QUESTION, actor=actor)
        _answer(session, conversation, actor, assistant, text)


def _troubleshoot(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant,
                  text: str) -> None:
    question = troubleshoot.on_message(session, conversation, actor, assistant, text)
    if question:
        _answer(session, conversation, actor, assistant, question)


def _hand_off(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant) -> None:
    if conversation.state in (S.WAITING_FOR_HUMAN, S.WITH_HUMAN):
        service.say(session, conversation, SYSTEM, "A person already has your conversation; your messages are "
                    "kept and shown to them.")
        return
    if conversation.ticket_id is None:
        handed = handoff.open_ticket(session, conversation=conversation, requester=actor,
                                     settings=assistant.settings, triage=assistant.triage,
                                     reason="The requester asked to talk to a person.",
                                     code=R.REQUESTER_ASKED)
        ticket = handed.ticket
    else:
        ticket = tickets.get(session, actor=actor, ticket_id=conversation.ticket_id)
    service.transition(session, conversation, E.HANDOFF, actor=actor)
    service.say(session, conversation, SYSTEM, phrases.phrase(
        "handed_off", conversation.facts.get("language", phrases.ENGLISH), ticket=ticket.id,
        promise=handoff.promise(ticket)))


def _mirror_to_ticket(session: Session, conversation: Conversation, actor: Principal, text: str) -> None:
    """While a person owns the conversation, the requester's words also land on the ticket (never lost)."""
    if conversation.ticket_id is None:
        return
    ticket = tickets.get(session, actor=actor, ticket_id=conversation.ticket_id)
    if ticket.status in (TicketStatus.CLOSED, TicketStatus.MERGED):
        log.info("conversation %s: DP-%s is %s; the message stays in the chat only", conversation.id, ticket.id,
                 ticket.status)
        return
    tickets.add_message(session, actor=actor, ticket_id=ticket.id,
                        data=MessageCreate(body=text, kind=MessageKind.PUBLIC_REPLY, channel=Channel.CHAT))
