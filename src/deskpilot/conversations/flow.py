"""The assistant's side of a chat: what is asked (`intents.py`) → small talk, ticket status, a ticket on request
or a person at once; a problem or how-to gets triage → grounded answer with sources → "Did this solve it?" → guided
troubleshooting one step at a time → a ticket with the full context, or a person whenever asked.

The state machine (`state.py`) decides who may speak; this module decides what the assistant says at each
state. A message with nothing pending is routed by its intent in `request_routing.py`; a question for the KB is
answered in `answering.py`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.assist.verifier import Rephraser
from deskpilot.config import Settings
from deskpilot.conversations import (
    answering,
    closing,
    handoff,
    password_help,
    phrases,
    request_routing,
    service,
    troubleshoot,
)
from deskpilot.conversations.handoff import HandoffReason as R
from deskpilot.conversations.intents import Intent, IntentModel
from deskpilot.conversations.models import Conversation, ConversationMessage
from deskpilot.conversations.replies import Reply, classify, wants_human, wants_ticket, without_acknowledgement
from deskpilot.conversations.state import Author, ConversationEvent, ConversationState, Owner, Speaker
from deskpilot.conversations.steps import numbered_steps
from deskpilot.errors import PermissionDenied
from deskpilot.runbooks.mailer import Mailer
from deskpilot.runbooks.steps import DirectoryFactory
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import Channel, MessageKind, TicketStatus
from deskpilot.tickets.schemas import MessageCreate
from deskpilot.triage.engine import TriageEngine

log = logging.getLogger(__name__)
S, E = ConversationState, ConversationEvent
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
    handoff.to_person(session, conversation, actor, assistant)
    return conversation


def _respond(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant,
             text: str) -> None:
    if conversation.state is S.ASSISTANT_ANSWERING:
        request_routing.respond(session, conversation, actor, assistant, text)
    elif wants_human(text):
        handoff.to_person(session, conversation, actor, assistant)
    elif conversation.owner_kind is Owner.HUMAN:
        _mirror_to_ticket(session, conversation, actor, text)
    elif _asks_for_a_person(assistant, text):
        handoff.to_person(session, conversation, actor, assistant)
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
            answering.answer(session, conversation, actor, assistant, question, offer_self_service=False)


def _asks_for_a_person(assistant: Assistant, text: str) -> bool:
    """Mid-answer or mid-steps, only a confident request for a person changes the course; a yes or no is an
    answer to the question asked and is not read (nor embedded) here."""
    return classify(text) is Reply.OTHER and assistant.intents.read(text).intent is Intent.HANDOFF


def _after_answer(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant,
                  text: str) -> None:
    reply = closing.reply(assistant, text)
    answers = [*conversation.facts.get("answers", []), {"question": CONFIRM, "answer": text[:500]}]
    conversation.facts = conversation.facts | {"answers": answers}
    if reply is Reply.YES:
        troubleshoot.confirm_deflection(session, conversation, actor, "resolved by self-service")
        troubleshoot.resolve(session, conversation, actor, "Glad that solved it.")
    elif reply is Reply.NO:
        spoken = troubleshoot.language(conversation)
        troubleshoot.remember(conversation, text)
        if troubleshoot.start_from_error(session, conversation, actor, assistant, text):
            return
        document = _walkable(assistant, conversation)
        if document is None:
            troubleshoot.offer_ticket(session, conversation, actor,
                                      opening=phrases.phrase("not_solved_no_steps", spoken),
                                      reason="The suggested answer did not help and its article has no steps to try.",
                                      code=R.ANSWER_DID_NOT_HELP)
            return
        troubleshoot.start_steps(session, conversation, actor, assistant, document.slug,
                                 opening=phrases.phrase("not_solved_walk", spoken))
    else:
        # "thanks. also how do I ...?": the question is searched without the thanks in front of it.
        service.transition(session, conversation, E.NEW_QUESTION, actor=actor)
        request_routing.respond(session, conversation, actor, assistant, without_acknowledgement(text))


def _walkable(assistant: Assistant, conversation: Conversation) -> KbDocument | None:
    """The article whose steps to walk when the answer did not solve it: the answer's, or of suggested articles
    the most likely one that has steps."""
    offered = conversation.facts.get("suggested") or [conversation.facts.get("answer_slug")]
    found = (assistant.index.documents.get(str(slug)) for slug in offered)
    return next((document for document in found if document is not None and numbered_steps(document.text)), None)


def _troubleshoot(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant,
                  text: str) -> None:
    if conversation.state is S.TROUBLESHOOTING:
        other = (answering.asks_something_else(assistant, conversation, text)
                 or answering.says_what_it_is(assistant, conversation, text))
        if other is not None:
            # A question on another subject, or what a guessed walk's problem really is, leaves the walk;
            # its steps tried stay for a ticket.
            service.transition(session, conversation, E.NEW_QUESTION, actor=actor)
            request_routing.respond(session, conversation, actor, assistant, other)
            return
    question = troubleshoot.on_message(session, conversation, actor, assistant, text)
    if question:
        # Something else than an answer to the question asked: read what it asks (a status question, say).
        request_routing.respond(session, conversation, actor, assistant, question)


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
