"""Bulk actions of the console queue: one change applied to several tickets.

Each ticket changes in its own savepoint through the same use case a single change calls (so the same permission,
lifecycle and audit rules apply); a ticket that may not change is reported with the reason and the others still
change. One summary event names what was asked and what came of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.errors import DomainError
from deskpilot.tickets import service
from deskpilot.tickets.models import Ticket
from deskpilot.tickets.schemas import (
    BulkAssign,
    BulkChange,
    BulkMerge,
    BulkPriority,
    BulkQueue,
    BulkStatus,
    TicketUpdate,
)


class Updater(Protocol):
    """A ticket update use case: `service.update`, or a flow's that also records AI feedback (intake)."""

    def __call__(self, session: Session, *, actor: Principal, ticket_id: int, data: TicketUpdate) -> Ticket: ...


@dataclass(frozen=True)
class BulkOutcome:
    ticket_id: int
    ok: bool
    error: str | None = None
    message: str | None = None
    changed: bool = False


def _one_change(session: Session, actor: Principal, change: BulkChange, update: Updater) -> Callable[[int], object]:
    match change:
        case BulkAssign():
            return lambda ticket_id: service.assign(session, actor=actor, ticket_id=ticket_id,
                                                    assignee_id=change.assignee_id)
        case BulkStatus():
            return lambda ticket_id: service.change_status(session, actor=actor, ticket_id=ticket_id,
                                                           target=change.status)
        case BulkPriority():
            data = TicketUpdate(priority=change.priority)
            return lambda ticket_id: update(session, actor=actor, ticket_id=ticket_id, data=data)
        case BulkQueue():
            moved = TicketUpdate(queue_id=change.queue_id)
            return lambda ticket_id: update(session, actor=actor, ticket_id=ticket_id, data=moved)
        case BulkMerge():
            return lambda ticket_id: service.merge(session, actor=actor, ticket_id=ticket_id,
                                                   into_ticket_id=change.into_ticket_id)


def apply(session: Session, *, actor: Principal, change: BulkChange, update: Updater = service.update
          ) -> list[BulkOutcome]:
    """Apply `change` to each of its tickets (in the order given, each once); returns one outcome per ticket.

    Requesters and auditors are refused as a whole (403): bulk actions are for the staff who work tickets. A
    merge keeps `into_ticket_id` (reported as unchanged and ok) and merges every other ticket into it."""
    require(actor, Permission.TICKET_WORK)
    if isinstance(change, BulkMerge):
        require(actor, Permission.TICKET_MERGE)
    one = _one_change(session, actor, change, update)
    outcomes: list[BulkOutcome] = []
    for ticket_id in dict.fromkeys(change.ticket_ids):
        if isinstance(change, BulkMerge) and ticket_id == change.into_ticket_id:
            outcomes.append(BulkOutcome(ticket_id, True, message="kept: the others were merged into it"))
            continue
        try:
            with session.begin_nested():
                one(ticket_id)
        except DomainError as exc:
            outcomes.append(BulkOutcome(ticket_id, False, exc.code, exc.message))
        else:
            outcomes.append(BulkOutcome(ticket_id, True, changed=True))
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action=f"ticket.bulk.{change.action}",
                 subject_type="ticket", subject_id="*", after={
                     "change": change.model_dump(mode="json", exclude={"ticket_ids", "action"}),
                     "changed": [o.ticket_id for o in outcomes if o.changed],
                     "failed": {str(o.ticket_id): o.message for o in outcomes if not o.ok}})
    return outcomes
