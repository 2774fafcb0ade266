"""The synced fields of a ticket on each side, and their translation between the desk's terms and the ITSM's.

The desk's side is read in its terms (user and queue ids), the ITSM's in its own (the vendor's user and group ids),
so each side is compared with its own base. A value the other side cannot hold (an ITSM assignee with no desk staff
account, a queue with no group of the same name, an empty field) is not written across.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import User
from deskpilot.connectors.models import ConnectorLink
from deskpilot.connectors.records import ExternalTicket, TicketChanges
from deskpilot.connectors.storing import USER, queues_by_group
from deskpilot.connectors.sync_rules import Value
from deskpilot.tickets.enums import Priority, TicketStatus
from deskpilot.tickets.models import Ticket

Values = dict[str, Value]
_ITSM_FIELD = {"status": "status", "priority": "priority", "category": "category", "assignee": "assignee_id",
               "group": "group_id"}
_DESK_FIELD = {"status": "status", "priority": "priority", "category": "category", "assignee": "assignee_id",
               "group": "queue_id"}


@dataclass(frozen=True)
class Directory:
    """Who and what the two sides call the same: vendor users linked to desk accounts (by the users import) and
    vendor groups to the desk queues of the same name."""

    users: Mapping[str, int]
    staff: frozenset[int]
    queues: Mapping[str, int]

    @classmethod
    def read(cls, session: Session, *, vendor: str, groups: Mapping[str, str]) -> Directory:
        rows = session.execute(select(ConnectorLink.external_id, ConnectorLink.local_id).where(
            ConnectorLink.connector == vendor, ConnectorLink.kind == USER))
        users = {external_id: local_id for external_id, local_id in rows}
        staff = frozenset(session.scalars(select(User.id).where(User.id.in_(list(users.values())),
                                                                User.role != Role.REQUESTER, User.is_active)))
        return cls(users=users, staff=staff, queues=queues_by_group(session, groups))

    def to_desk(self, field: str, value: Value) -> Value:
        """The ITSM's `value` in the desk's terms; None when the desk cannot hold it."""
        if value is None:
            return None
        if field == "assignee":
            local = self.users.get(value)
            return str(local) if local in self.staff else None
        if field == "group":
            queue = self.queues.get(value)
            return None if queue is None else str(queue)
        return value[:120] if field == "category" else value

    def to_itsm(self, field: str, value: Value) -> Value:
        """The desk's `value` in the ITSM's terms; None when the ITSM cannot take it."""
        if value is None:
            return None
        if field == "assignee":
            return next((vendor for vendor, local in self.users.items() if str(local) == value), None)
        if field == "group":
            return next((group for group, queue in self.queues.items() if str(queue) == value), None)
        return value


def _text(value: Any) -> Value:
    return None if value is None else str(value)


def desk_values(ticket: Ticket) -> Values:
    return {name: _text(getattr(ticket, attribute)) for name, attribute in _DESK_FIELD.items()}


def itsm_values(ticket: ExternalTicket) -> Values:
    return {name: _text(getattr(ticket, attribute)) for name, attribute in _ITSM_FIELD.items()}


def itsm_changes(values: Values) -> TicketChanges:
    """The ITSM's update for `values` (the ITSM's terms)."""
    status, priority = values.get("status"), values.get("priority")
    return TicketChanges(status=TicketStatus(status) if status else None,
                         priority=Priority(priority) if priority else None, category=values.get("category"),
                         group_id=values.get("group"), assignee_id=values.get("assignee"))


def desk_changes(values: Values) -> dict[str, Any]:
    """The keyword arguments of `tickets.synced.change_synced` for `values` (the desk's terms)."""
    converters = {"status": TicketStatus, "priority": Priority, "category": str, "assignee": int, "group": int}
    names = {"assignee": "assignee_id", "group": "queue_id"}
    return {names.get(field, field): converters[field](value) for field, value in values.items() if value is not None}
