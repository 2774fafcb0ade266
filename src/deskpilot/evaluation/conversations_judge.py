"""The judge of a replayed conversation: which kind of handling it got, and whether that is the expected one.

Pure: it reads only what the chat API returns (state, ticket, messages with their citations) and the
requester's tickets before and after, the way an independent evaluator sees a desk from outside.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from deskpilot.evaluation.conversations_cases import ConversationCase, Handling

HUMAN_STATES = frozenset({"waiting_for_human", "with_human"})
SELF_SERVICE_STATE = "self_service"
# A question about a ticket, in one sentence ending with "?": the assistant asked before opening one.
_TICKET_QUESTION = re.compile(r"[^.!?\n。]*(ticket|incident|incidencia|störungsmeldung|工单)[^.!?\n。？]*[?？]",
                              re.IGNORECASE)
# The requester asked for a ticket in so many words.
_TICKET_REQUEST = re.compile(
    r"\b(open|raise|create|log|file|submit|make)\b[^.!?]{0,40}\b(ticket|incident|case)\b"
    r"|\bticket\b[^.!?]{0,20}\b(please|pls|bitte|por favor|s'il vous pla[iî]t)\b"
    r"|\bticket\b[^.!?]{0,20}\b(er)?(öffnen|eröffnen|anlegen|erstellen|aufmachen)\b"
    r"|\b(ouvrir|ouvrez|créer|créez)\b[^.!?]{0,20}\b(ticket|incident)\b"
    r"|\b(abrir|abre|abra|crear|crea)\b[^.!?]{0,20}\b(ticket|incidente|incidencia|caso)\b"
    r"|(开|提|提交|创建|建)[^。？?]{0,6}工单",
    re.IGNORECASE)


class Observed(StrEnum):
    """What the conversation shows from outside."""

    ANSWER = "answer"              # an assistant message citing articles, no ticket, no person
    SELF_SERVICE = "self_service"  # the self-service password reset was offered (state self_service)
    STATUS = "status"              # a reply naming the requester's existing ticket, no new ticket
    NEW_TICKET = "new_ticket"      # a new ticket for the requester, no person waiting yet
    HANDOFF = "handoff"            # waiting for a person, or a person joined
    REPLY = "reply"                # none of the above: no ticket, no citation, no person
    ERROR = "error"                # the API refused or failed (the message says why)


@dataclass(frozen=True)
class ObservedMessage:
    author: str  # requester, assistant, agent or system (the API's author_kind)
    body: str
    cited: tuple[str, ...] = ()


@dataclass(frozen=True)
class Observation:
    """A replayed conversation as the API returned it, with the requester's ticket ids before and after."""

    state: str
    ticket_id: int | None
    messages: tuple[ObservedMessage, ...]
    tickets_before: frozenset[int] = frozenset()
    tickets_after: frozenset[int] = frozenset()
    error: str | None = None

    @property
    def new_tickets(self) -> frozenset[int]:
        linked = {self.ticket_id} if self.ticket_id is not None else set()
        return frozenset((self.tickets_after | linked) - self.tickets_before)

    @property
    def last_citations(self) -> tuple[str, ...]:
        """The articles cited by the last desk message that cites any (the help the requester was left with)."""
        return next((m.cited for m in reversed(self.messages) if m.author != "requester" and m.cited), ())


@dataclass(frozen=True)
class Verdict:
    observed: Observed
    right: bool
    reason: str
    cited: tuple[str, ...]
    answer_acceptable: bool  # an answer was given and cites an article acceptable for the case

    @property
    def answered(self) -> bool:
        return bool(self.cited)


def _desk_says(observation: Observation) -> Iterable[ObservedMessage]:
    return (m for m in observation.messages if m.author != "requester")


def names_existing_ticket(observation: Observation) -> bool:
    """Whether a desk message names one of the requester's tickets that existed before the conversation.

    A status reply comes from the database, not from an article: a message citing articles does not count,
    so an answer that merely echoes the question's ticket number is judged as the answer it is."""
    names = [re.compile(rf"\bDP-{ticket_id}\b") for ticket_id in observation.tickets_before]
    return any(name.search(m.body) for m in _desk_says(observation) if not m.cited for name in names)


def observed_handling(observation: Observation) -> Observed:
    """The kind of handling, first match wins: error, person, new ticket, reset offer, status, answer, reply."""
    if observation.error:
        return Observed.ERROR
    if observation.state in HUMAN_STATES:
        return Observed.HANDOFF
    if observation.new_tickets:
        return Observed.NEW_TICKET
    if observation.state == SELF_SERVICE_STATE:
        return Observed.SELF_SERVICE
    if names_existing_ticket(observation):
        return Observed.STATUS
    if observation.last_citations:
        return Observed.ANSWER
    return Observed.REPLY


def asked_before_ticket(observation: Observation) -> bool:
    """Whether, before the first message naming the new ticket, the requester asked for one in so many words
    or the assistant asked a question about opening one."""
    new = observation.new_tickets
    names = [re.compile(rf"\bDP-{ticket_id}\b") for ticket_id in new]
    before: list[ObservedMessage] = []
    for message in observation.messages:
        if message.author != "requester" and any(n.search(message.body) for n in names):
            break
        before.append(message)
    return any(_TICKET_REQUEST.search(m.body) if m.author == "requester"
               else m.author == "assistant" and _TICKET_QUESTION.search(m.body)
               for m in before)


def _expected_right(case: ConversationCase, observation: Observation, seen: Observed,
                    acceptable: bool) -> tuple[bool, str]:
    expect = case.expect
    if expect is Handling.ANSWER:
        if seen is not Observed.ANSWER:
            return False, f"expected an answer, got {seen}"
        return acceptable, "" if acceptable else "the answer cites none of the acceptable articles"
    if expect is Handling.SELF_SERVICE:
        # Offering the reset or answering with the password article are both the self-service.
        right = seen is Observed.SELF_SERVICE or (seen is Observed.ANSWER and acceptable)
        return right, "" if right else f"expected the self-service reset or its article, got {seen}"
    if expect is Handling.NEW_TICKET:
        if seen is not Observed.NEW_TICKET:
            return False, f"expected a new ticket, got {seen}"
        asked = asked_before_ticket(observation)
        return asked, "" if asked else "a ticket was opened without asking the requester first"
    wanted = {Handling.STATUS: Observed.STATUS, Handling.HANDOFF: Observed.HANDOFF,
              Handling.OUT_OF_SCOPE: Observed.REPLY, Handling.SMALL_TALK: Observed.REPLY}[expect]
    right = seen is wanted
    return right, "" if right else f"expected {expect} ({wanted}), got {seen}"


def judge(case: ConversationCase, observation: Observation) -> Verdict:
    """Whether the conversation got the handling `case` expects, and why not when it did not."""
    seen = observed_handling(observation)
    cited = observation.last_citations if seen is Observed.ANSWER else ()
    acceptable = bool(set(cited) & case.slugs)
    if seen is Observed.ERROR:
        return Verdict(seen, False, f"the API failed: {observation.error}", (), False)
    right, reason = _expected_right(case, observation, seen, acceptable)
    return Verdict(seen, right, reason, cited, acceptable)
