"""The configured categories: the closed set triage may output, and the queue each routes to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.errors import Conflict, InvalidInput
from deskpilot.tickets.models import Queue
from deskpilot.triage.models import TriageCategory


def get_all(session: Session, *, active_only: bool = True) -> list[TriageCategory]:
    query = select(TriageCategory).order_by(TriageCategory.name)
    if active_only:
        query = query.where(TriageCategory.active.is_(True))
    return list(session.scalars(query))


def create(session: Session, *, actor: Principal, name: str, description: str = "",
           default_queue_id: int | None = None) -> TriageCategory:
    """Add a category to the closed set (admins)."""
    require(actor, Permission.TEAM_MANAGE)
    if session.scalar(select(TriageCategory).where(TriageCategory.name == name)):
        raise Conflict(f"A category named {name!r} exists already.")
    if default_queue_id is not None and session.get(Queue, default_queue_id) is None:
        raise InvalidInput(f"No queue with id {default_queue_id}.")
    category = TriageCategory(name=name, description=description, default_queue_id=default_queue_id)
    session.add(category)
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="triage_category.create",
                 subject_type="triage_category", subject_id=category.id,
                 after={"name": name, "default_queue_id": default_queue_id})
    return category
