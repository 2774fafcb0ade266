"""The ticket state machine: which status may follow which."""

from __future__ import annotations

from deskpilot.errors import Conflict
from deskpilot.tickets.enums import TicketStatus as S

_WORKING = {S.OPEN, S.IN_PROGRESS, S.WAITING_ON_CUSTOMER, S.RESOLVED, S.MERGED}

TRANSITIONS: dict[S, frozenset[S]] = {
    S.NEW: frozenset(_WORKING),
    S.OPEN: frozenset(_WORKING - {S.OPEN}),
    S.IN_PROGRESS: frozenset(_WORKING - {S.IN_PROGRESS}),
    S.WAITING_ON_CUSTOMER: frozenset(_WORKING - {S.WAITING_ON_CUSTOMER}),
    S.RESOLVED: frozenset({S.CLOSED, S.OPEN}),
    S.CLOSED: frozenset(),
    S.MERGED: frozenset(),
}

OPEN_STATUSES = frozenset({S.NEW, S.OPEN, S.IN_PROGRESS, S.WAITING_ON_CUSTOMER})


def check_transition(current: S, target: S) -> None:
    """Raise Conflict (409) naming the allowed next statuses when `current → target` is not allowed."""
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (it is final)"
        raise Conflict(f"A ticket that is {current} cannot become {target}. Allowed next: {allowed}.")
