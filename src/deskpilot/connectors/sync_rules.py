"""The conflict rules of the two-way sync, as pure functions over one field's values (docs/connectors.md states them).

Each side's value is compared with that side's own base, the value it had when the two were last in step:
1. one side changed the field: the change is written to the other side;
2. both changed it to different values (a conflict): the side that owns the field wins (the ITSM, the system of
   record, owns every field unless the connection gives some to deskpilot); the losing value is recorded;
3. status never moves backwards (to an earlier stage of new < working < resolved < closed, reopening a resolved
   ticket excepted): such a change is refused whoever made or owns it, and in a conflict the further status wins;
   the refused value is recorded.
Both sides changing a field to the same value is no conflict. Values are the desk's terms on both sides here (the
caller translates the ITSM's users and groups first).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from deskpilot.connectors.enums import SyncRule, SyncSide
from deskpilot.errors import InvalidInput
from deskpilot.tickets.enums import TicketStatus
from deskpilot.tickets.synced import regresses

FIELDS = ("status", "priority", "category", "assignee", "group")
Value = str | None


@dataclass(frozen=True)
class Lost:
    """A value the sync did not keep, and why."""

    field: str
    kept: Value
    lost: Value
    side: SyncSide
    rule: SyncRule


@dataclass(frozen=True)
class Decision:
    """What to do with one field: write `value` to `to` (None: write nothing), and what was lost, if anything."""

    to: SyncSide | None = None
    value: Value = None
    lost: Lost | None = None


@dataclass(frozen=True)
class Ownership:
    """Which fields deskpilot owns (wins in a conflict); the ITSM, the system of record, owns the others."""

    deskpilot: frozenset[str] = frozenset()

    @classmethod
    def of(cls, connection: Mapping[str, str]) -> Ownership:
        named = {f.strip() for f in (connection.get("sync_deskpilot_owns") or "").split(",") if f.strip()}
        unknown = sorted(named - set(FIELDS))
        if unknown:
            raise InvalidInput(f"sync_deskpilot_owns: unknown field(s) {', '.join(unknown)}; choose from "
                               f"{', '.join(FIELDS)}.")
        return cls(deskpilot=frozenset(named))

    def owner(self, field: str) -> SyncSide:
        return SyncSide.DESK if field in self.deskpilot else SyncSide.ITSM


def _other(side: SyncSide) -> SyncSide:
    return SyncSide.ITSM if side is SyncSide.DESK else SyncSide.DESK


def _backwards(field: str, current: Value, target: Value) -> bool:
    return field == "status" and current is not None and target is not None and regresses(
        TicketStatus(current), TicketStatus(target))


def decide(field: str, *, desk: Value, itsm: Value, desk_changed: bool, itsm_changed: bool,
           ownership: Ownership) -> Decision:
    """The rule for one field whose current values are `desk` and `itsm` (the ITSM's in the desk's terms)."""
    if desk == itsm or not (desk_changed or itsm_changed):
        return Decision()
    now = {SyncSide.DESK: desk, SyncSide.ITSM: itsm}
    if desk_changed and itsm_changed:
        winner, rule = ownership.owner(field), SyncRule.OWNER
        if _backwards(field, now[_other(winner)], now[winner]):
            winner, rule = _other(winner), SyncRule.NO_REGRESSION
    else:
        winner, rule = (SyncSide.DESK if desk_changed else SyncSide.ITSM), SyncRule.NO_REGRESSION
        if _backwards(field, now[_other(winner)], now[winner]):
            return Decision(lost=Lost(field, now[_other(winner)], now[winner], winner, rule))
        return Decision(to=_other(winner), value=now[winner])
    loser = _other(winner)
    return Decision(to=loser, value=now[winner], lost=Lost(field, now[winner], now[loser], loser, rule))
