"""The two-way sync's conflict rules (docs/connectors.md), one field at a time, and the lifecycle paths it takes."""

from __future__ import annotations

import pytest

from deskpilot.connectors.enums import SyncRule, SyncSide
from deskpilot.connectors.sync_rules import Decision, Lost, Ownership, decide
from deskpilot.errors import InvalidInput
from deskpilot.tickets.enums import TicketStatus as S
from deskpilot.tickets.synced import regresses, status_path

ITSM_OWNS = Ownership()
DESK_OWNS_PRIORITY = Ownership(deskpilot=frozenset({"priority"}))


def test_a_change_on_one_side_goes_to_the_other_and_equal_values_are_no_conflict() -> None:
    assert decide("priority", desk="P2", itsm="P3", desk_changed=True, itsm_changed=False,
                  ownership=ITSM_OWNS) == Decision(to=SyncSide.ITSM, value="P2")
    assert decide("assignee", desk="4", itsm="7", desk_changed=False, itsm_changed=True,
                  ownership=DESK_OWNS_PRIORITY) == Decision(to=SyncSide.DESK, value="7")
    assert decide("category", desk="network", itsm="network", desk_changed=True, itsm_changed=True,
                  ownership=ITSM_OWNS) == Decision()
    assert decide("group", desk="3", itsm="9", desk_changed=False, itsm_changed=False,
                  ownership=ITSM_OWNS) == Decision(), "values that differ but did not change are left alone"


def test_in_a_conflict_the_owner_wins_and_the_losing_value_is_kept() -> None:
    assert decide("priority", desk="P1", itsm="P4", desk_changed=True, itsm_changed=True,
                  ownership=ITSM_OWNS) == Decision(to=SyncSide.DESK, value="P4",
                                                   lost=Lost("priority", "P4", "P1", SyncSide.DESK, SyncRule.OWNER))
    assert decide("priority", desk="P1", itsm="P4", desk_changed=True, itsm_changed=True,
                  ownership=DESK_OWNS_PRIORITY) == Decision(
        to=SyncSide.ITSM, value="P1", lost=Lost("priority", "P1", "P4", SyncSide.ITSM, SyncRule.OWNER))


def test_status_never_moves_backwards_whoever_changed_or_owns_it() -> None:
    refused = decide("status", desk="resolved", itsm="new", desk_changed=False, itsm_changed=True,
                     ownership=ITSM_OWNS)
    assert refused == Decision(lost=Lost("status", "resolved", "new", SyncSide.ITSM, SyncRule.NO_REGRESSION))
    conflict = decide("status", desk="closed", itsm="in_progress", desk_changed=True, itsm_changed=True,
                      ownership=ITSM_OWNS)
    assert conflict == Decision(to=SyncSide.ITSM, value="closed",
                                lost=Lost("status", "closed", "in_progress", SyncSide.ITSM, SyncRule.NO_REGRESSION))
    assert decide("status", desk="open", itsm="resolved", desk_changed=True, itsm_changed=False,
                  ownership=ITSM_OWNS) == Decision(to=SyncSide.ITSM, value="open"), "reopening is no regression"


def test_the_lifecycle_paths_and_what_counts_as_a_regression() -> None:
    assert status_path(S.OPEN, S.CLOSED) == [S.RESOLVED, S.CLOSED]
    assert status_path(S.RESOLVED, S.WAITING_ON_CUSTOMER) == [S.OPEN, S.WAITING_ON_CUSTOMER]
    assert status_path(S.NEW, S.IN_PROGRESS) == [S.IN_PROGRESS] and status_path(S.OPEN, S.OPEN) == []
    assert regresses(S.OPEN, S.NEW) and regresses(S.CLOSED, S.RESOLVED) and regresses(S.MERGED, S.OPEN)
    assert not regresses(S.RESOLVED, S.IN_PROGRESS) and not regresses(S.WAITING_ON_CUSTOMER, S.OPEN)


def test_the_fields_deskpilot_owns_are_checked() -> None:
    assert Ownership.of({"sync_deskpilot_owns": "priority, status"}).owner("status") is SyncSide.DESK
    assert Ownership.of({}).owner("status") is SyncSide.ITSM
    with pytest.raises(InvalidInput, match="unknown field.*subject.*choose from status"):
        Ownership.of({"sync_deskpilot_owns": "priority,subject"})
