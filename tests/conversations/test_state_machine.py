"""The conversation state machine, exhaustively: every (state, event) pair, every speaker in every state,
and the hand-off bugs other chat products are known for, each pinned by a test."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskpilot.conversations.state import (
    TRANSITIONS,
    Author,
    ConversationEvent,
    ConversationState,
    Owner,
    Speaker,
    apply,
    can,
    may_speak,
    owner_of,
)
from deskpilot.errors import Conflict

S, E = ConversationState, ConversationEvent
AGENT_ID, OTHER_AGENT_ID = 7, 8

EXPECTED: dict[tuple[S, E], S] = {
    (S.ASSISTANT_ANSWERING, E.ANSWERED): S.AWAITING_CONFIRMATION,
    (S.ASSISTANT_ANSWERING, E.TROUBLESHOOT): S.TROUBLESHOOTING,
    (S.ASSISTANT_ANSWERING, E.TICKET_OPENED): S.TICKET_CREATED,
    (S.ASSISTANT_ANSWERING, E.HANDOFF): S.WAITING_FOR_HUMAN,
    (S.ASSISTANT_ANSWERING, E.AGENT_JOINED): S.WITH_HUMAN,
    (S.ASSISTANT_ANSWERING, E.CLOSED): S.RESOLVED,
    (S.ASSISTANT_ANSWERING, E.OFFER_SELF_SERVICE): S.SELF_SERVICE,
    (S.ASSISTANT_ANSWERING, E.CLARIFY): S.CLARIFYING,
    (S.ASSISTANT_ANSWERING, E.OFFER_TICKET): S.OFFERING_TICKET,
    (S.AWAITING_CONFIRMATION, E.OFFER_TICKET): S.OFFERING_TICKET,
    (S.CLARIFYING, E.TROUBLESHOOT): S.TROUBLESHOOTING,
    (S.CLARIFYING, E.NEW_QUESTION): S.ASSISTANT_ANSWERING,
    (S.CLARIFYING, E.OFFER_TICKET): S.OFFERING_TICKET,
    (S.CLARIFYING, E.TICKET_OPENED): S.TICKET_CREATED,
    (S.CLARIFYING, E.HANDOFF): S.WAITING_FOR_HUMAN,
    (S.CLARIFYING, E.AGENT_JOINED): S.WITH_HUMAN,
    (S.CLARIFYING, E.CLOSED): S.RESOLVED,
    (S.TROUBLESHOOTING, E.OFFER_TICKET): S.OFFERING_TICKET,
    (S.TROUBLESHOOTING, E.NEW_QUESTION): S.ASSISTANT_ANSWERING,
    (S.OFFERING_TICKET, E.TICKET_OPENED): S.TICKET_CREATED,
    (S.OFFERING_TICKET, E.STEP_DONE): S.TROUBLESHOOTING,
    (S.OFFERING_TICKET, E.NEW_QUESTION): S.ASSISTANT_ANSWERING,
    (S.OFFERING_TICKET, E.SOLVED): S.RESOLVED,
    (S.OFFERING_TICKET, E.HANDOFF): S.WAITING_FOR_HUMAN,
    (S.OFFERING_TICKET, E.AGENT_JOINED): S.WITH_HUMAN,
    (S.OFFERING_TICKET, E.CLOSED): S.RESOLVED,
    (S.SELF_SERVICE, E.SOLVED): S.RESOLVED,
    (S.SELF_SERVICE, E.NEW_QUESTION): S.ASSISTANT_ANSWERING,
    (S.SELF_SERVICE, E.TICKET_OPENED): S.TICKET_CREATED,
    (S.SELF_SERVICE, E.HANDOFF): S.WAITING_FOR_HUMAN,
    (S.SELF_SERVICE, E.AGENT_JOINED): S.WITH_HUMAN,
    (S.SELF_SERVICE, E.CLOSED): S.RESOLVED,
    (S.AWAITING_CONFIRMATION, E.SOLVED): S.RESOLVED,
    (S.AWAITING_CONFIRMATION, E.TROUBLESHOOT): S.TROUBLESHOOTING,
    (S.AWAITING_CONFIRMATION, E.NEW_QUESTION): S.ASSISTANT_ANSWERING,
    (S.AWAITING_CONFIRMATION, E.TICKET_OPENED): S.TICKET_CREATED,
    (S.AWAITING_CONFIRMATION, E.HANDOFF): S.WAITING_FOR_HUMAN,
    (S.AWAITING_CONFIRMATION, E.AGENT_JOINED): S.WITH_HUMAN,
    (S.AWAITING_CONFIRMATION, E.CLOSED): S.RESOLVED,
    (S.TROUBLESHOOTING, E.STEP_DONE): S.TROUBLESHOOTING,
    (S.TROUBLESHOOTING, E.SOLVED): S.RESOLVED,
    (S.TROUBLESHOOTING, E.TICKET_OPENED): S.TICKET_CREATED,
    (S.TROUBLESHOOTING, E.HANDOFF): S.WAITING_FOR_HUMAN,
    (S.TROUBLESHOOTING, E.AGENT_JOINED): S.WITH_HUMAN,
    (S.TROUBLESHOOTING, E.CLOSED): S.RESOLVED,
    (S.TICKET_CREATED, E.HANDOFF): S.WAITING_FOR_HUMAN,
    (S.TICKET_CREATED, E.AGENT_JOINED): S.WITH_HUMAN,
    (S.TICKET_CREATED, E.CLOSED): S.RESOLVED,
    (S.WAITING_FOR_HUMAN, E.AGENT_JOINED): S.WITH_HUMAN,
    (S.WAITING_FOR_HUMAN, E.CLOSED): S.RESOLVED,
    (S.WITH_HUMAN, E.HANDED_BACK): S.ASSISTANT_ANSWERING,
    (S.WITH_HUMAN, E.CLOSED): S.RESOLVED,
}


@pytest.mark.parametrize(("state", "event"), list(itertools.product(S, E)))
def test_every_state_and_event_pair_goes_where_the_table_says_or_is_refused(state: S, event: E) -> None:
    expected = EXPECTED.get((state, event))
    assert can(state, event) is (expected is not None)
    if expected is None:
        with pytest.raises(Conflict, match="Possible now"):
            apply(state, event)
    else:
        assert apply(state, event) is expected


def test_the_table_covers_every_state() -> None:
    assert set(TRANSITIONS) == set(S)


@pytest.mark.parametrize("state", list(S))
def test_exactly_one_owner_speaks_for_the_desk_in_every_state(state: S) -> None:
    assistant = may_speak(state, Speaker(Author.ASSISTANT), owner_agent_id=AGENT_ID)
    agent = may_speak(state, Speaker(Author.AGENT, AGENT_ID), owner_agent_id=AGENT_ID)
    assert not (assistant and agent)
    assert assistant is (owner_of(state) is Owner.ASSISTANT)
    assert agent is (state is S.WITH_HUMAN)


@pytest.mark.parametrize("state", list(S))
def test_only_the_owning_agent_replies_and_only_after_joining(state: S) -> None:
    assert not may_speak(state, Speaker(Author.AGENT, OTHER_AGENT_ID), owner_agent_id=AGENT_ID)
    assert not may_speak(state, Speaker(Author.AGENT, None), owner_agent_id=None)


@pytest.mark.parametrize("state", list(S))
def test_the_requester_may_write_until_the_end_and_system_notices_always_go_out(state: S) -> None:
    assert may_speak(state, Speaker(Author.REQUESTER, 1), owner_agent_id=None) is (state is not S.RESOLVED)
    assert may_speak(state, Speaker(Author.SYSTEM), owner_agent_id=None)


def test_bot_never_talks_over_the_agent() -> None:
    """Known bug: the bot keeps answering after a person took over."""
    for state in (S.WAITING_FOR_HUMAN, S.WITH_HUMAN, S.TICKET_CREATED):
        assert owner_of(state) is Owner.HUMAN
        assert not may_speak(state, Speaker(Author.ASSISTANT), owner_agent_id=AGENT_ID)


def test_no_loops_after_resolution() -> None:
    """Known bug: "did this solve it?" asked again and again after the conversation ended."""
    assert TRANSITIONS[S.RESOLVED] == {}
    for event in E:
        with pytest.raises(Conflict, match="ended"):
            apply(S.RESOLVED, event)
    assert owner_of(S.RESOLVED) is Owner.NOBODY


def test_hand_off_from_every_assistant_state_reaches_a_human_and_the_assistant_resumes_after_hand_back() -> None:
    """Known bug: a hand-off request lost in some states (e.g. mid-troubleshooting)."""
    for state in (S.ASSISTANT_ANSWERING, S.AWAITING_CONFIRMATION, S.TROUBLESHOOTING, S.TICKET_CREATED):
        waiting = apply(state, E.HANDOFF)
        joined = apply(waiting, E.AGENT_JOINED)
        assert owner_of(joined) is Owner.HUMAN
        back = apply(joined, E.HANDED_BACK)
        assert back is S.ASSISTANT_ANSWERING and owner_of(back) is Owner.ASSISTANT


@given(st.lists(st.sampled_from(list(E)), max_size=40))
def test_any_sequence_of_events_keeps_one_owner_and_ends_for_good(events: list[E]) -> None:
    state = S.ASSISTANT_ANSWERING
    for event in events:
        if not can(state, event):
            continue
        previous, state = state, apply(state, event)
        assert previous is not S.RESOLVED
        speakers = [may_speak(state, Speaker(Author.ASSISTANT), owner_agent_id=AGENT_ID),
                    may_speak(state, Speaker(Author.AGENT, AGENT_ID), owner_agent_id=AGENT_ID)]
        assert sum(speakers) <= 1
