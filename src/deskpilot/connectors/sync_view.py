"""What the agents see of a synced ticket on its console page: which ITSM ticket it is kept in step with, when it was
last synced, and every value the sync's rules did not keep (the conflicts), newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.models import User
from deskpilot.accounts.principal import Principal
from deskpilot.connectors.enums import SyncRule, SyncSide
from deskpilot.connectors.models import SyncConflict, SyncLink
from deskpilot.tickets import service as tickets
from deskpilot.tickets.models import Queue

_WHY = {SyncRule.OWNER: "both sides changed it; {owner} owns {field}",
        SyncRule.NO_REGRESSION: "a status never moves backwards"}


@dataclass(frozen=True)
class ConflictView:
    field: str
    kept: str
    lost: str
    lost_where: str
    why: str
    at: datetime


@dataclass(frozen=True)
class SyncState:
    connector: str
    number: str
    url: str
    synced_at: datetime
    conflicts: tuple[ConflictView, ...]


def _label(session: Session, field: str, value: str | None) -> str:
    """A value as the agents know it: a user's name and a queue's rather than their ids."""
    if value is None:
        return "empty"
    if field == "assignee" and value.isdigit():
        user = session.get(User, int(value))
        return user.full_name or user.username if user else value
    if field == "group" and value.isdigit():
        queue = session.get(Queue, int(value))
        return queue.name if queue else value
    return value


def sync_state(session: Session, *, actor: Principal, ticket_id: int) -> SyncState | None:
    """The sync state of a ticket `actor` may read; None when the ticket is not synced with an ITSM."""
    tickets.get(session, actor=actor, ticket_id=ticket_id)
    link = session.scalar(select(SyncLink).where(SyncLink.ticket_id == ticket_id))
    if link is None:
        return None
    rows = session.scalars(select(SyncConflict).where(SyncConflict.link_id == link.id)
                           .order_by(SyncConflict.id.desc()))
    owner = {SyncSide.DESK: link.connector, SyncSide.ITSM: "deskpilot"}
    # The address comes from the ITSM's API: shown as a link only when it is a web address.
    url = link.url if link.url.startswith(("https://", "http://")) else ""
    return SyncState(connector=link.connector, number=link.number, url=url, synced_at=link.synced_at,
                     conflicts=tuple(ConflictView(
                         field=row.field, kept=_label(session, row.field, row.kept),
                         lost=_label(session, row.field, row.lost),
                         lost_where="deskpilot" if row.lost_side is SyncSide.DESK else link.connector,
                         why=_WHY[row.rule].format(owner=owner[row.lost_side], field=row.field), at=row.created_at)
                         for row in rows))
