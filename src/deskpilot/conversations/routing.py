"""Which handling a chat message gets, from its intent, and the facts the reading leaves on the conversation.

`conversation.facts["intent"]` / `["intent_confidence"]` are stable keys: evaluations read them to judge the
handling. A question's triage replaces the other facts of the previous question, never these.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

from sqlalchemy.orm import Session

from deskpilot.audit import decisions
from deskpilot.config import Settings
from deskpilot.conversations.intents import Intent, IntentReading
from deskpilot.conversations.models import Conversation
from deskpilot.conversations.replies import wants_human
from deskpilot.conversations.ticket_updates import RELAYED
from deskpilot.conversations.troubleshoot import SAID
from deskpilot.triage.engine import TriageEngine
from deskpilot.triage.service import triage_request

PENDING = "pending"
# A new question starts new facts; the intent read for it, what the requester told (device, error) and what
# was relayed from the ticket still hold.
KEPT_FACTS = ("intent", "intent_confidence", "intent_predicted", SAID, RELAYED)
ASK_WHAT_IS_WRONG = ("Sure, I will open a ticket for you. What is wrong? Describe it in a sentence or two: what "
                     "you were doing, what happened and any error message shown. I open the ticket with your "
                     "next message.")
TALKED = frozenset({Intent.GREETING, Intent.THANKS, Intent.GOODBYE, Intent.BOT_QUESTION, Intent.CAPABILITIES,
                    Intent.OUT_OF_SCOPE})
SELF_SERVICE_INTENTS = {Intent.PASSWORD_RESET: "password_reset", Intent.ACCOUNT_UNLOCK: "account_locked"}


class Pending(StrEnum):
    """What the assistant asked for and waits on."""

    TICKET_DESCRIPTION = "ticket_description"


def with_explicit_handoff(reading: IntentReading, text: str) -> IntentReading:
    """"Talk to a human" and its kin (`replies.wants_human`) are a hand-off whatever the model read."""
    return replace(reading, intent=Intent.HANDOFF) if wants_human(text) else reading


def record(conversation: Conversation, reading: IntentReading) -> None:
    conversation.facts = conversation.facts | {"intent": reading.intent.value,
                                               "intent_confidence": reading.confidence,
                                               "intent_predicted": reading.predicted.value}


def waits_for_description(conversation: Conversation) -> bool:
    return conversation.facts.get(PENDING) == Pending.TICKET_DESCRIPTION


def wait_for_description(conversation: Conversation, waiting: bool) -> None:
    facts = {k: v for k, v in conversation.facts.items() if k != PENDING}
    conversation.facts = facts | ({PENDING: Pending.TICKET_DESCRIPTION.value} if waiting else {})


def describes_a_ticket(reading: IntentReading) -> bool:
    """After "what is wrong?": anything but small talk, a status question or a request for a person is the
    description of the ticket to open."""
    return reading.intent not in TALKED | {Intent.HANDOFF, Intent.TICKET_STATUS}


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
