"""The ticket state machine, exhaustively: every (from, to) pair is either allowed or a clear 409."""

from __future__ import annotations

import itertools

import pytest

from deskpilot.errors import Conflict
from deskpilot.tickets.enums import TicketStatus as S
from deskpilot.tickets.lifecycle import TRANSITIONS, check_transition

ALLOWED = {
    (S.NEW, S.OPEN), (S.NEW, S.IN_PROGRESS), (S.NEW, S.WAITING_ON_CUSTOMER), (S.NEW, S.RESOLVED), (S.NEW, S.MERGED),
    (S.OPEN, S.IN_PROGRESS), (S.OPEN, S.WAITING_ON_CUSTOMER), (S.OPEN, S.RESOLVED), (S.OPEN, S.MERGED),
    (S.IN_PROGRESS, S.OPEN), (S.IN_PROGRESS, S.WAITING_ON_CUSTOMER), (S.IN_PROGRESS, S.RESOLVED),
    (S.IN_PROGRESS, S.MERGED),
    (S.WAITING_ON_CUSTOMER, S.OPEN), (S.WAITING_ON_CUSTOMER, S.IN_PROGRESS), (S.WAITING_ON_CUSTOMER, S.RESOLVED),
    (S.WAITING_ON_CUSTOMER, S.MERGED),
    (S.RESOLVED, S.CLOSED), (S.RESOLVED, S.OPEN),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_every_transition_is_allowed_or_refused_with_the_allowed_next_steps(current: S, target: S) -> None:
    if (current, target) in ALLOWED:
        check_transition(current, target)
        return
    with pytest.raises(Conflict) as refused:
        check_transition(current, target)
    assert f"cannot become {target}" in refused.value.message
    assert "Allowed next:" in refused.value.message


def test_closed_and_merged_are_final() -> None:
    assert TRANSITIONS[S.CLOSED] == frozenset()
    assert TRANSITIONS[S.MERGED] == frozenset()
