"""Saved queue views: named sets of queue filters staff keep for themselves (the console lists them)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, has
from deskpilot.accounts.principal import Principal
from deskpilot.clock import utcnow
from deskpilot.errors import InvalidInput, PermissionDenied
from deskpilot.tickets.models import SavedQueueView

# The queue filters a view may keep; anything else in a saved query is dropped.
FILTERS = ("status", "queue", "priority", "mine", "q", "sort")


def _owner(actor: Principal) -> int:
    if actor.user_id is None or not (has(actor, Permission.TICKET_WORK) or has(actor, Permission.TICKET_READ_ALL)):
        raise PermissionDenied("Saved queue views are for service desk staff.")
    return actor.user_id


def get_all(session: Session, *, actor: Principal) -> list[SavedQueueView]:
    """The actor's own saved views, by name."""
    return list(session.scalars(select(SavedQueueView).where(SavedQueueView.owner_id == _owner(actor))
                                .order_by(SavedQueueView.name)))


def save(session: Session, *, actor: Principal, name: str, filters: Mapping[str, str]) -> SavedQueueView:
    """Save queue filters under a name for the actor, replacing their view of the same name."""
    owner_id, name = _owner(actor), name.strip()
    if not name:
        raise InvalidInput("Give the view a name, for example “My breaches”.")
    kept = {k: v for k, v in filters.items() if k in FILTERS}
    session.execute(delete(SavedQueueView).where(SavedQueueView.owner_id == owner_id, SavedQueueView.name == name))
    view = SavedQueueView(owner_id=owner_id, name=name, filters=kept, created_at=utcnow())
    session.add(view)
    session.flush()
    return view
