"""A message to the assistant with nothing pending: read what it asks for, then route it: a brief answer to
small talk or an out-of-scope request, a person at once, the requester's tickets, a ticket on request, or the
KB's answer (`answering.py`). The facts the reading leaves on the conversation are `routing.py`'s."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.conversations import answering, handoff, phrases, routing, scope, service, small_talk, status
from deskpilot.conversations.enums import Resolution
from deskpilot.conversations.handoff import HandoffReason as R
from deskpilot.conversations.intents import Intent
from deskpilot.conversations.models import Conversation
from deskpilot.conversations.state import Author, ConversationEvent, Speaker

if TYPE_CHECKING:
    from deskpilot.conversations.flow import Assistant

E = ConversationEvent
ASSISTANT = Speaker(Author.ASSISTANT)
SYSTEM = Speaker(Author.SYSTEM)


def respond(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant,
            text: str) -> None:
    """A message to the assistant with nothing pending but maybe a ticket's description: read what it asks."""
    # The message is embedded once: the intent model, the reset offer and the retrieval share the vector.
    vector = assistant.index.embedder.encode([text.strip()])[0]
    reading = routing.with_explicit_handoff(assistant.intents.read(text, vector=vector), text)
    reading = scope.check(assistant, reading, text, vector, _language(conversation, text))
    routing.record(conversation, reading)
    if routing.waits_for_description(conversation) and routing.describes_a_ticket(reading):
        _open_requested(session, conversation, actor, assistant, text, problem=text)
        return
    routing.wait_for_description(conversation, False)
    problem = routing.requested_with_problem(reading, text)
    if problem is not None:
        _open_requested(session, conversation, actor, assistant, text, problem=problem)
        return
    brief = small_talk.answer(reading.intent, _language(conversation, text))
    if brief is not None:
        service.say(session, conversation, ASSISTANT, brief, confidence=reading.confidence)
    elif reading.intent is Intent.HANDOFF:
        handoff.to_person(session, conversation, actor, assistant)
    elif reading.intent is Intent.TICKET_STATUS:
        answer = status.status_reply(session, actor=actor, text=text)
        conversation.facts = conversation.facts | {"status_ticket_ids": answer.ticket_ids}
        service.say(session, conversation, ASSISTANT, answer.text, confidence=reading.confidence)
    elif reading.intent is Intent.OPEN_TICKET:
        routing.wait_for_description(conversation, True)
        asked = phrases.phrase("ask_what_is_wrong", _language(conversation, text))
        service.say(session, conversation, ASSISTANT, asked, confidence=reading.confidence)
    elif reading.intent is Intent.KB_QUESTION and routing.is_vague(text):
        asked = phrases.phrase("ask_details", _language(conversation, text))
        service.say(session, conversation, ASSISTANT, asked, confidence=reading.confidence)
    else:
        answering.answer(session, conversation, actor, assistant, text, question_vector=vector, reading=reading)


def _language(conversation: Conversation, text: str) -> str:
    language = phrases.requester_language(text, conversation.facts.get("language"))
    conversation.facts = conversation.facts | {"language": language}
    return language


def _open_requested(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant,
                    text: str, *, problem: str) -> None:
    """The requester asked for a ticket and has said what is wrong (`problem`, in `text`): open it with their
    words, triaged on the whole message."""
    routing.wait_for_description(conversation, False)
    conversation.subject = " ".join(problem.split())[:300]
    routing.triage_onto(session, conversation, assistant.triage, text, assistant.settings)
    language = _language(conversation, text)
    handed = handoff.open_ticket(session, conversation=conversation, requester=actor, settings=assistant.settings,
                                 triage=assistant.triage, reason="The requester asked to open a ticket.",
                                 code=R.REQUESTER_ASKED)
    conversation.resolution = Resolution.TICKET
    service.transition(session, conversation, E.TICKET_OPENED, actor=actor)
    service.say(session, conversation, SYSTEM, phrases.phrase(
        "ticket_on_request", language, ticket=handed.ticket.id, subject=handed.ticket.subject,
        promise=handoff.promise(handed.ticket)))
