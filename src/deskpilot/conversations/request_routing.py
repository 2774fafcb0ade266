"""A message to the assistant with nothing pending: read what it asks for, then route it: a brief answer to
small talk or an out-of-scope request, a person at once, the requester's tickets, a ticket on request, or the
KB's answer (`answering.py`). The facts the reading leaves on the conversation are `routing.py`'s."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.conversations import (
    answering,
    handoff,
    phrases,
    routing,
    scope,
    service,
    small_talk,
    status,
    troubleshoot,
)
from deskpilot.conversations.enums import Resolution
from deskpilot.conversations.handoff import HandoffReason as R
from deskpilot.conversations.intents import Intent, IntentReading
from deskpilot.conversations.models import Conversation
from deskpilot.conversations.replies import wants_ticket
from deskpilot.conversations.routing import Pending
from deskpilot.conversations.state import Author, ConversationEvent, Speaker
from deskpilot.ml.embeddings import Vectors

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
    reading = _reading(session, conversation, actor, assistant, text, vector)
    routing.record(conversation, reading)
    pending = routing.waiting_for(conversation)
    if pending == Pending.TICKET_DESCRIPTION and routing.describes_a_ticket(reading):
        _open_requested(session, conversation, actor, assistant, text, problem=text)
        return
    if pending == Pending.REPORT_DESCRIPTION and routing.describes_a_ticket(reading):
        _offer_reported(session, conversation, actor, assistant, text)
        return
    question = routing.with_opening(conversation, reading, text)
    routing.wait_for(conversation, None)
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
        # Only a ticket asked for in so many words opens with the next message; "I want to report an issue"
        # asks what is wrong, then whether to open one.
        explicit = wants_ticket(text)
        routing.wait_for(conversation, Pending.TICKET_DESCRIPTION if explicit else Pending.REPORT_DESCRIPTION)
        asked = phrases.phrase("ask_what_is_wrong" if explicit else "ask_what_to_report", _language(conversation, text))
        service.say(session, conversation, ASSISTANT, asked, confidence=reading.confidence)
    elif reading.intent is Intent.KB_QUESTION and routing.is_vague(question):
        routing.wait_for(conversation, Pending.DETAILS, opening=question)
        asked = phrases.phrase("ask_details", _language(conversation, text))
        service.say(session, conversation, ASSISTANT, asked, confidence=reading.confidence)
    else:
        answering.answer(session, conversation, actor, assistant, question,
                         question_vector=vector if question == text else None, reading=reading)


def _reading(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant, text: str,
             vector: Vectors) -> IntentReading:
    """What the message asks: the intent model's reading, with what the desk's own records settle (a request for
    a person, a ticket of the asker's named by its number or subject, tickets in general), weighed against the KB
    when it leans out of scope. After a request for a new ticket in so many words, a message that names an earlier
    ticket ("the same as DP-12, the printer again") is still the new one's description; after "I have a question
    about a ticket", "it's DP-12" asks about that one."""
    reading = routing.with_explicit_handoff(assistant.intents.read(text, vector=vector), text)
    if routing.waiting_for(conversation) != Pending.TICKET_DESCRIPTION:
        reading = routing.with_named_ticket(reading, names_visible_ticket=lambda: status.names_visible_ticket(
            session, actor=actor, text=text))
        reading = routing.with_own_ticket_meant(reading, names_open_ticket=lambda: status.names_open_ticket_by_subject(
            session, actor=actor, text=text))
    reading = routing.with_general_ticket_question(reading, text)
    return scope.check(assistant, reading, text, vector, _language(conversation, text))


def _language(conversation: Conversation, text: str) -> str:
    language = phrases.requester_language(text, conversation.facts.get("language"))
    conversation.facts = conversation.facts | {"language": language}
    return language


def _open_requested(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant,
                    text: str, *, problem: str) -> None:
    """The requester asked for a ticket and has said what is wrong (`problem`, in `text`): open it with their
    words, triaged on the whole message."""
    _take_description(session, conversation, assistant, text, subject=problem)
    language = _language(conversation, text)
    handed = handoff.open_ticket(session, conversation=conversation, requester=actor, settings=assistant.settings,
                                 triage=assistant.triage, reason="The requester asked to open a ticket.",
                                 code=R.REQUESTER_ASKED)
    conversation.resolution = Resolution.TICKET
    service.transition(session, conversation, E.TICKET_OPENED, actor=actor)
    service.say(session, conversation, SYSTEM, phrases.phrase(
        "ticket_on_request", language, ticket=handed.ticket.id, subject=handed.ticket.subject,
        promise=handoff.promise(handed.ticket)))


def _offer_reported(session: Session, conversation: Conversation, actor: Principal, assistant: Assistant,
                    text: str) -> None:
    """The requester wanted to report an issue without asking for a ticket in so many words, and has now said
    what is wrong: the description is triaged onto the conversation and the assistant asks before opening one."""
    _take_description(session, conversation, assistant, text, subject=text)
    troubleshoot.offer_ticket(session, conversation, actor, reason="The requester reported an issue.",
                              code=R.REQUESTER_ASKED, opening=phrases.phrase("reported", _language(conversation, text)))


def _take_description(session: Session, conversation: Conversation, assistant: Assistant, text: str, *,
                      subject: str) -> None:
    """The awaited description has come: nothing is waited on any more, `subject` names the conversation and
    `text` is triaged onto it."""
    routing.wait_for(conversation, None)
    conversation.subject = " ".join(subject.split())[:300]
    routing.triage_onto(session, conversation, assistant.triage, text, assistant.settings)
