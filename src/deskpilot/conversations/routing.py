"""Which handling a chat message gets, from its intent, and the facts the reading leaves on the conversation.

`conversation.facts["intent"]` / `["intent_confidence"]` are stable keys: evaluations read them to judge the
handling. A question's triage replaces the other facts of the previous question, never these.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from enum import StrEnum

from sqlalchemy.orm import Session

from deskpilot.audit import decisions
from deskpilot.config import Settings
from deskpilot.conversations.intents import Intent, IntentReading
from deskpilot.conversations.models import Conversation
from deskpilot.conversations.replies import stated_problem, wants_human
from deskpilot.conversations.status import named_ticket
from deskpilot.conversations.ticket_updates import RELAYED
from deskpilot.conversations.troubleshoot import SAID
from deskpilot.triage.engine import TriageEngine
from deskpilot.triage.service import triage_request

PENDING = "pending"
# A new question starts new facts; the intent read for it, what the requester told (device, error) and what
# was relayed from the ticket still hold.
KEPT_FACTS = ("intent", "intent_confidence", "intent_predicted", SAID, RELAYED)
# Not the description of a ticket the requester asked for: small talk, a request for a person or a status question.
# An out-of-scope reading is a description: the requester asked for the ticket, and people at the desk reroute it.
NOT_A_DESCRIPTION = frozenset({Intent.GREETING, Intent.THANKS, Intent.GOODBYE, Intent.BOT_QUESTION,
                               Intent.CAPABILITIES, Intent.HANDOFF, Intent.TICKET_STATUS})
# The readings of a message that may be a request for a ticket with its problem ("please open a ticket: the badge
# reader rejects every badge"); a how-to question about tickets is not one.
MAY_REQUEST_A_TICKET = frozenset({Intent.OPEN_TICKET, Intent.KB_QUESTION, Intent.OUT_OF_SCOPE})
# The readings a message naming one of the asker's tickets gives way to (`with_named_ticket`).
ABOUT_A_NAMED_TICKET = frozenset({Intent.KB_QUESTION, Intent.OUT_OF_SCOPE})
# A ticket spoken of in general ("a P3 ticket", "an incident", "how are tickets prioritised?"), and the words
# that would make it the asker's own.
_A_TICKET = re.compile(r"\ban?\s+(\w+\s+)?(ticket|incident|request)s?\b|\bP[1-5]\b|\bprioriti[sz](ed|ation)\b",
                       re.IGNORECASE)
_FIRST_PERSON = re.compile(r"\b(i|i'm|i've|i'd|my|me|mine|we|our|us)\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?|\d+")
# Function words and the words any problem report or access request shares, in the chat's languages: not
# something to search on ("I need access": to what?).
_GENERIC = frozenset({
    "the", "and", "for", "with", "you", "your", "it's", "its", "this", "that", "there", "they", "have", "has", "had",
    "got", "get", "can", "can't", "cannot", "could", "would", "will", "won't", "not", "don't", "doesn't", "didn't",
    "isn't", "aren't", "i'm", "i've", "again", "any", "some", "something", "anything", "thing", "things", "stuff",
    "all", "just", "now", "still", "very", "really", "please", "pls", "help", "helps", "need", "needs", "want",
    "problem", "problems", "issue", "issues", "trouble", "wrong", "broken", "broke", "break", "working", "works",
    "work", "worked", "fail", "fails", "failed", "failing", "error", "errors", "bug", "weird", "strange", "odd",
    "urgent", "asap", "hello", "thanks", "hey", "what", "why", "how", "who", "where", "mine", "our", "ours", "one",
    "das", "die", "der", "ein", "eine", "ich", "habe", "hat", "ist", "nicht", "geht", "funktioniert", "kaputt",
    "fehler", "hilfe", "bitte", "mein", "meine", "etwas", "mehr", "immer", "noch", "does", "did", "was", "are",
    "ugh", "argh", "hmm", "access", "permission", "permissions", "zugriff", "zugang", "accès", "acceso",
    "les", "des", "une", "est", "pas", "marche", "fonctionne", "problème", "erreur", "aide", "mon", "j'ai", "cassé",
    "los", "las", "una", "está", "funciona", "problema", "ayuda", "tengo", "roto", "algo", "por", "favor",
})
_HOW_TO = re.compile(r"^\W*(how|where|when|what|which|who|why|do i|can i|should i|is there|wie|wo|wann|comment|où|"
                     r"quand|cómo|como|dónde|donde|cuándo)\b|怎么|如何|在哪", re.IGNORECASE)
SELF_SERVICE_INTENTS = {Intent.PASSWORD_RESET: "password_reset", Intent.ACCOUNT_UNLOCK: "account_locked"}


OPENING = "vague_opening"


class Pending(StrEnum):
    """What the assistant asked for and waits on."""

    TICKET_DESCRIPTION = "ticket_description"  # asked for a ticket in so many words: it opens with the answer
    REPORT_DESCRIPTION = "report_description"  # "I want to report an issue": the answer, then a ticket offered
    DETAILS = "details"                        # a vague opening (`is_vague`): what it is about


def with_explicit_handoff(reading: IntentReading, text: str) -> IntentReading:
    """"Talk to a human" and its kin (`replies.wants_human`) are a hand-off whatever the model read, except a
    question about the assistant itself that the model is sure of ("are you a real person?")."""
    if reading.intent is Intent.BOT_QUESTION and not reading.abstained:
        return reading
    return replace(reading, intent=Intent.HANDOFF) if wants_human(text) else reading


def with_named_ticket(reading: IntentReading, *, names_visible_ticket: Callable[[], bool]) -> IntentReading:
    """A question or report that names one of the asker's tickets by number ("DP-123 - is ANYONE working on
    this??? Outlook still crashes") is about that ticket: its status, not the KB's steps for the problem it
    repeats. Small talk, a request for a person or for a new ticket keep their reading."""
    if reading.intent in ABOUT_A_NAMED_TICKET and names_visible_ticket():
        return replace(reading, intent=Intent.TICKET_STATUS)
    return reading


def with_own_ticket_meant(reading: IntentReading, *, names_open_ticket: Callable[[], bool]) -> IntentReading:
    """A status question the model leaned to but abstained on ("has App Support created my project code yet?")
    is taken as one when it speaks of one of the asker's open tickets by its subject's words (`names_open_ticket`,
    asked only then: it reads the database)."""
    if reading.abstained and reading.predicted is Intent.TICKET_STATUS and names_open_ticket():
        return replace(reading, intent=Intent.TICKET_STATUS)
    return reading


def with_general_ticket_question(reading: IntentReading, text: str) -> IntentReading:
    """A question about tickets in general ("how long does a P3 ticket take to get fixed?") is no status
    question: no ticket of the asker's is named or meant (no first person), so the KB answers it."""
    if (reading.intent is Intent.TICKET_STATUS and _A_TICKET.search(text) and not _FIRST_PERSON.search(text)
            and named_ticket(text) is None):
        return replace(reading, intent=Intent.KB_QUESTION)
    return reading


def may_offer_self_service(reading: IntentReading | None) -> bool:
    """Whether the password reset may be offered on triage's word or the question's nearness to a reset request:
    not when the intent model read something else with confidence ("I can't log in to Workday" is a question
    about that application's access, not a request to reset one's own password)."""
    return reading is None or reading.abstained or reading.intent in SELF_SERVICE_INTENTS


def record(conversation: Conversation, reading: IntentReading) -> None:
    conversation.facts = conversation.facts | {"intent": reading.intent.value,
                                               "intent_confidence": reading.confidence,
                                               "intent_predicted": reading.predicted.value}


def waiting_for(conversation: Conversation) -> str | None:
    """What the assistant asked for and waits on (a `Pending` value), if anything."""
    pending = conversation.facts.get(PENDING)
    return str(pending) if pending else None


def wait_for(conversation: Conversation, pending: Pending | None, *, opening: str = "") -> None:
    """Wait on `pending` (nothing when None); a vague `opening` is kept to be searched with what follows."""
    facts = {k: v for k, v in conversation.facts.items() if k not in (PENDING, OPENING)}
    conversation.facts = facts | ({PENDING: pending.value} if pending else {}) | (
        {OPENING: opening[:300]} if opening else {})


def with_opening(conversation: Conversation, reading: IntentReading, text: str) -> str:
    """What to search once the requester says more after a vague opening ("I need access", then "to the shared
    mailbox"): both together, so the reply is read as the rest of the opening; `text` otherwise."""
    opening = conversation.facts.get(OPENING)
    if waiting_for(conversation) != Pending.DETAILS or not opening or reading.intent is not Intent.KB_QUESTION:
        return text
    return f"{opening} {text}"


def describes_a_ticket(reading: IntentReading) -> bool:
    """After "what is wrong?": anything but small talk, a status question or a request for a person is the
    description of the ticket to open."""
    return reading.intent not in NOT_A_DESCRIPTION


def is_vague(text: str) -> bool:
    """A problem said without anything to search on ("it's broken", "I have a problem", "doesn't work", "???"):
    no word beyond function words and words every problem shares. The assistant asks what is wrong instead of
    guessing an article."""
    return not any(len(word) > 2 and word not in _GENERIC for word in _WORD.findall(text.lower()))


def requested_with_problem(reading: IntentReading, text: str) -> str | None:
    """The problem, when the message asks in so many words for a ticket and already says what is wrong
    ("I need to open a ticket, my monitor flickers"): the ticket is opened at once with it. None otherwise,
    and for a question about tickets ("how do I open a ticket for a new laptop?")."""
    if reading.intent not in MAY_REQUEST_A_TICKET or _HOW_TO.search(text):
        return None
    return stated_problem(text)


def triage_onto(session: Session, conversation: Conversation, engine: TriageEngine,
                question: str, settings: Settings | None = None) -> tuple[str | None, float]:
    """Triage the question onto the conversation (with the turn's `settings`); returns the category and its
    confidence."""
    outcome = triage_request(session, engine=engine, subject=question[:300], body=question,
                             requester_id=conversation.requester_id, settings=settings)
    decisions.attach_subject(session, decision_id=outcome.decision_id, subject_type="conversation",
                             subject_id=conversation.id)
    kept = {k: v for k, v in conversation.facts.items() if k in KEPT_FACTS}
    conversation.facts = kept | {"triage_decision_id": outcome.decision_id, "category": outcome.result.category,
                                 "priority": outcome.result.priority, "queue": outcome.queue}
    return outcome.result.category, outcome.result.confidence
