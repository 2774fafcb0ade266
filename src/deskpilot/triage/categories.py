"""The desk's taxonomy: the closed set of categories triage may output, what belongs in each (description and
example requests), the queue each routes to, and a numbered version after every edit (who, when, what)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.errors import Conflict, InvalidInput, NotFound
from deskpilot.tickets.models import Queue
from deskpilot.triage.models import TaxonomyVersion, TriageCategory
from deskpilot.triage.taxonomy_schemas import CategoryCreate, CategoryUpdate


def get_all(session: Session, *, active_only: bool = True) -> list[TriageCategory]:
    query = select(TriageCategory).order_by(TriageCategory.name)
    if active_only:
        query = query.where(TriageCategory.active.is_(True))
    return list(session.scalars(query))


def get(session: Session, *, category_id: int) -> TriageCategory:
    category = session.get(TriageCategory, category_id)
    if category is None:
        raise NotFound(f"No category with id {category_id}.")
    return category


def _check_queue(session: Session, queue_id: int | None) -> None:
    if queue_id is not None and session.get(Queue, queue_id) is None:
        raise InvalidInput(f"No queue with id {queue_id}.")


def _snapshot(category: TriageCategory) -> dict[str, Any]:
    return {"name": category.name, "description": category.description, "examples": list(category.examples),
            "default_queue_id": category.default_queue_id, "active": category.active,
            "criticality": category.criticality.value}


def _record_version(session: Session, *, actor: Principal, change: str) -> TaxonomyVersion:
    session.flush()
    number = (session.scalar(select(func.max(TaxonomyVersion.number))) or 0) + 1
    version = TaxonomyVersion(number=number, created_by_id=actor.user_id, created_by_name=actor.username,
                              change=change[:300], categories=[_snapshot(c) for c in get_all(session,
                                                                                                 active_only=False)])
    session.add(version)
    session.flush()
    return version


def create(session: Session, *, actor: Principal, data: CategoryCreate) -> TriageCategory:
    """Add a category to the closed set (admins); the taxonomy gets a new version."""
    require(actor, Permission.TEAM_MANAGE)
    if session.scalar(select(TriageCategory).where(TriageCategory.name == data.name)):
        raise Conflict(f"A category named {data.name!r} exists already.")
    _check_queue(session, data.default_queue_id)
    category = TriageCategory(name=data.name, description=data.description, examples=list(data.examples),
                              default_queue_id=data.default_queue_id, criticality=data.criticality)
    session.add(category)
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="triage_category.create",
                 subject_type="triage_category", subject_id=category.id, after=_snapshot(category))
    _record_version(session, actor=actor, change=f"added {data.name}")
    return category


def update(session: Session, *, actor: Principal, category_id: int, data: CategoryUpdate) -> TriageCategory:
    """Change a category's description, examples, queue, criticality or active flag (admins); a new taxonomy
    version."""
    require(actor, Permission.TEAM_MANAGE)
    category = get(session, category_id=category_id)
    changes = data.model_dump(exclude_unset=True)
    if "default_queue_id" in changes:
        _check_queue(session, changes["default_queue_id"])
    before = _snapshot(category)
    for field, value in changes.items():
        if value is not None or field == "default_queue_id":
            setattr(category, field, value)
    after = _snapshot(category)
    changed = sorted(k for k in after if after[k] != before[k])
    if not changed:
        return category
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="triage_category.update",
                 subject_type="triage_category", subject_id=category.id, before=before, after=after)
    _record_version(session, actor=actor, change=f"changed {category.name}: {', '.join(changed)}")
    return category


def versions(session: Session, *, actor: Principal) -> list[TaxonomyVersion]:
    """Every version of the taxonomy, newest first."""
    require(actor, Permission.TICKET_WORK)
    return list(session.scalars(select(TaxonomyVersion).order_by(TaxonomyVersion.number.desc())))
