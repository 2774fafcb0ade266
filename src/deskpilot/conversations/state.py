"""The conversation state machine: exactly one owner speaks at a time, the assistant or a named agent.

Pure: no database, no clock. The flow asks `apply` for the next state and `may_speak` before anyone but
the requester adds a message, so the assistant can never talk over an agent, and a resolved conversation
accepts no event at all (no "did this solve it?" loops after the end).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from deskpilot.errors import Conflict


class ConversationState(StrEnum):
    ASSISTANT_ANSWERING = "assistant_answering"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    CLARIFYING = "clarifying"            # the assistant asked which of the articles' facts applies (OS, device)
    TROUBLESHOOTING = "troubleshooting"
    OFFERING_TICKET = "offering_ticket"  # the assistant asked "shall I open a ticket?" and waits for yes or no
    SELF_SERVICE = "self_service"
    WAITING_FOR_HUMAN = "waiting_for_human"
    WITH_HUMAN = "with_human"
    RESOLVED = "resolved"
    TICKET_CREATED = "ticket_created"


class Owner(StrEnum):
    ASSISTANT = "assistant"
    HUMAN = "human"
    NOBODY = "nobody"


class Author(StrEnum):
    REQUESTER = "requester"
    ASSISTANT = "assistant"
    AGENT = "agent"
    SYSTEM = "system"


class ConversationEvent(StrEnum):
    ANSWERED = "answered"                # the assistant gave a grounded answer and asks "did this solve it?"
    NEW_QUESTION = "new_question"        # the requester asked something else instead of confirming
    TROUBLESHOOT = "troubleshoot"        # not solved / low confidence: walk an article's steps
    OFFER_SELF_SERVICE = "offer_self_service"  # a password problem: the assistant offers the approved reset
    CLARIFY = "clarify"                  # the best articles differ by a fact: ask which one applies
    STEP_DONE = "step_done"              # one step tried, more remain (or the walk moves to another article)
    OFFER_TICKET = "offer_ticket"        # the assistant cannot solve it (now): it asks before opening a ticket
    SOLVED = "solved"                    # the requester confirms the problem is gone
    TICKET_OPENED = "ticket_opened"      # the assistant could not help: a ticket carries the context on
    HANDOFF = "handoff"                  # "talk to a human"
    AGENT_JOINED = "agent_joined"        # a named agent takes the conversation over
    HANDED_BACK = "handed_back"          # the agent gives the conversation back to the assistant
    CLOSED = "closed"                    # ended by the requester or the owning agent


S, E = ConversationState, ConversationEvent
_ASSISTANT_STATES = frozenset({S.ASSISTANT_ANSWERING, S.AWAITING_CONFIRMATION, S.CLARIFYING, S.TROUBLESHOOTING,
                               S.OFFERING_TICKET, S.SELF_SERVICE})
_HUMAN_STATES = frozenset({S.WAITING_FOR_HUMAN, S.WITH_HUMAN, S.TICKET_CREATED})

TRANSITIONS: dict[ConversationState, dict[ConversationEvent, ConversationState]] = {
    S.ASSISTANT_ANSWERING: {E.ANSWERED: S.AWAITING_CONFIRMATION, E.TROUBLESHOOT: S.TROUBLESHOOTING,
                            E.TICKET_OPENED: S.TICKET_CREATED, E.HANDOFF: S.WAITING_FOR_HUMAN,
                            E.AGENT_JOINED: S.WITH_HUMAN, E.CLOSED: S.RESOLVED,
                            E.OFFER_SELF_SERVICE: S.SELF_SERVICE, E.CLARIFY: S.CLARIFYING,
                            E.OFFER_TICKET: S.OFFERING_TICKET},
    S.AWAITING_CONFIRMATION: {E.SOLVED: S.RESOLVED, E.TROUBLESHOOT: S.TROUBLESHOOTING,
                              E.NEW_QUESTION: S.ASSISTANT_ANSWERING, E.TICKET_OPENED: S.TICKET_CREATED,
                              E.OFFER_TICKET: S.OFFERING_TICKET, E.HANDOFF: S.WAITING_FOR_HUMAN,
                              E.AGENT_JOINED: S.WITH_HUMAN, E.CLOSED: S.RESOLVED},
    S.CLARIFYING: {E.TROUBLESHOOT: S.TROUBLESHOOTING, E.NEW_QUESTION: S.ASSISTANT_ANSWERING,
                   E.OFFER_TICKET: S.OFFERING_TICKET, E.TICKET_OPENED: S.TICKET_CREATED,
                   E.HANDOFF: S.WAITING_FOR_HUMAN, E.AGENT_JOINED: S.WITH_HUMAN, E.CLOSED: S.RESOLVED},
    S.TROUBLESHOOTING: {E.STEP_DONE: S.TROUBLESHOOTING, E.SOLVED: S.RESOLVED, E.TICKET_OPENED: S.TICKET_CREATED,
                        E.OFFER_TICKET: S.OFFERING_TICKET, E.NEW_QUESTION: S.ASSISTANT_ANSWERING,
                        E.HANDOFF: S.WAITING_FOR_HUMAN,
                        E.AGENT_JOINED: S.WITH_HUMAN, E.CLOSED: S.RESOLVED},
    S.OFFERING_TICKET: {E.TICKET_OPENED: S.TICKET_CREATED, E.STEP_DONE: S.TROUBLESHOOTING,
                        E.NEW_QUESTION: S.ASSISTANT_ANSWERING, E.SOLVED: S.RESOLVED, E.HANDOFF: S.WAITING_FOR_HUMAN,
                        E.AGENT_JOINED: S.WITH_HUMAN, E.CLOSED: S.RESOLVED},
    S.SELF_SERVICE: {E.SOLVED: S.RESOLVED, E.NEW_QUESTION: S.ASSISTANT_ANSWERING, E.TICKET_OPENED: S.TICKET_CREATED,
                     E.HANDOFF: S.WAITING_FOR_HUMAN, E.AGENT_JOINED: S.WITH_HUMAN, E.CLOSED: S.RESOLVED},
    S.TICKET_CREATED: {E.HANDOFF: S.WAITING_FOR_HUMAN, E.AGENT_JOINED: S.WITH_HUMAN, E.CLOSED: S.RESOLVED},
    S.WAITING_FOR_HUMAN: {E.AGENT_JOINED: S.WITH_HUMAN, E.CLOSED: S.RESOLVED},
    S.WITH_HUMAN: {E.HANDED_BACK: S.ASSISTANT_ANSWERING, E.CLOSED: S.RESOLVED},
    S.RESOLVED: {},
}


def owner_of(state: ConversationState) -> Owner:
    """Who speaks for the desk in `state`: the assistant, a human (waiting or joined), or nobody (ended)."""
    if state in _ASSISTANT_STATES:
        return Owner.ASSISTANT
    if state in _HUMAN_STATES:
        return Owner.HUMAN
    return Owner.NOBODY


def can(state: ConversationState, event: ConversationEvent) -> bool:
    return event in TRANSITIONS[state]


def apply(state: ConversationState, event: ConversationEvent) -> ConversationState:
    """The state after `event`, or Conflict (409) saying what is possible now."""
    target = TRANSITIONS[state].get(event)
    if target is None:
        allowed = ", ".join(sorted(TRANSITIONS[state])) or "nothing: the conversation has ended"
        raise Conflict(f"A conversation that is {state.replace('_', ' ')} cannot take '{event}'. Possible now: "
                       f"{allowed}.")
    return target


@dataclass(frozen=True)
class Speaker:
    author: Author
    user_id: int | None = None


def may_speak(state: ConversationState, speaker: Speaker, *, owner_agent_id: int | None) -> bool:
    """Whether `speaker` may add a message now.

    The requester may write until the end; the assistant only while it owns the conversation; an agent only
    once they own it (joined); system notices (hand-off, ticket opened, CSAT) always.
    """
    if speaker.author is Author.SYSTEM:
        return True
    if speaker.author is Author.REQUESTER:
        return state is not S.RESOLVED
    if speaker.author is Author.ASSISTANT:
        return owner_of(state) is Owner.ASSISTANT
    return state is S.WITH_HUMAN and speaker.user_id is not None and speaker.user_id == owner_agent_id
