"""A status reading needs a ticket of the requester's own: a number, the first person in the chat's languages,
or a request too short to mean anything else; a question about tickets in general is one for the KB."""

from __future__ import annotations

import pytest

from deskpilot.conversations import status
from deskpilot.conversations.intents import Intent, IntentReading


@pytest.mark.parametrize("text", [
    "any update on DP-12?", "check status ticket 12", "is my ticket closed?", "what happened to the request I raised?",
    "Gibt es Neuigkeiten zu meinem Ticket?", "Où en est ma demande ?", "¿Hay novedades sobre mi incidencia?",
    "我的工单怎么样了？", "ticket status", "any news?",
])
def test_a_message_naming_or_owning_a_ticket_or_elliptical_is_about_the_requesters_own(text: str) -> None:
    assert status.about_own_ticket(text)


@pytest.mark.parametrize("text", [
    "what response time do tickets with priority P2 get?", "how long does the desk take to answer a P1 incident?",
])
def test_a_question_about_tickets_in_general_is_not(text: str) -> None:
    assert not status.about_own_ticket(text)


def test_only_a_status_reading_of_a_general_question_becomes_a_kb_question() -> None:
    read = IntentReading(intent=Intent.TICKET_STATUS, predicted=Intent.TICKET_STATUS, confidence=0.96,
                         abstained=False)
    general = status.with_own_ticket(read, "what response time do tickets with priority P2 get?")
    assert general.intent is Intent.KB_QUESTION and general.predicted is Intent.TICKET_STATUS
    assert status.with_own_ticket(read, "what's the status of my incident?") == read
    greeting = IntentReading(intent=Intent.GREETING, predicted=Intent.GREETING, confidence=0.9, abstained=False)
    assert status.with_own_ticket(greeting, "hello there, how are things going today?") == greeting
