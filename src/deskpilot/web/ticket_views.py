"""What the pages show of tickets and their messages: plain values built from the tickets service's objects."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import User
from deskpilot.accounts.permissions import Permission, has
from deskpilot.tickets import sla
from deskpilot.tickets.enums import MessageKind, TicketStatus
from deskpilot.tickets.models import Ticket, TicketMessage
from deskpilot.tickets.sla import TicketClocks
from deskpilot.web import wording
from deskpilot.web.viewer import Viewer


@dataclass(frozen=True)
class TicketView:
    id: int
    number: str
    subject: str
    description: str
    status: TicketStatus
    status_text: str
    priority_text: str
    impact_text: str
    urgency_text: str
    created_at: datetime
    updated_at: datetime
    sla: wording.SlaSummary
    first_reply_due: datetime | None
    resolution_due: datetime | None
    merged_into_id: int | None
    clocks: TicketClocks


def ticket_view(session: Session, ticket: Ticket, *, viewer: Viewer, now: datetime) -> TicketView:
    """A ticket as `viewer` reads it, with its SLA clocks evaluated at `now`."""
    for_requester = not viewer.is_staff
    clocks = sla.clocks(session, ticket=ticket, now=now)
    return TicketView(
        id=ticket.id, number=f"DP-{ticket.id}", subject=ticket.subject, description=ticket.description,
        status=TicketStatus(ticket.status),
        status_text=wording.status_label(ticket.status, for_requester=for_requester),
        priority_text=wording.priority_label(ticket.priority),
        impact_text=wording.choice_label(wording.IMPACT_CHOICES, ticket.impact),
        urgency_text=wording.choice_label(wording.URGENCY_CHOICES, ticket.urgency),
        created_at=ticket.created_at, updated_at=ticket.updated_at,
        sla=wording.sla_summary(status=ticket.status, clocks=clocks, now=now, for_requester=for_requester),
        first_reply_due=clocks.first_response.due_at if clocks.first_response else None,
        resolution_due=clocks.resolution.due_at if clocks.resolution else None,
        merged_into_id=ticket.merged_into_id, clocks=clocks,
    )


@dataclass(frozen=True)
class RequesterView:
    name: str
    organisation: str
    contact: str


def requester_view(session: Session, *, viewer: Viewer, requester_id: int) -> RequesterView:
    """Who asked, for the staff working the ticket: name, organisation (their teams) and e-mail."""
    user = accounts.get_visible(session, actor=viewer.principal, user_id=requester_id)
    teams = ", ".join(sorted(team.name for team in user.teams))
    return RequesterView(name=user.full_name or user.username, organisation=teams or "No team", contact=user.email)


@dataclass(frozen=True)
class MessageView:
    id: int
    author: str
    mine: bool
    internal: bool
    body: str
    created_at: datetime


def message_views(session: Session, messages: list[TicketMessage], *, viewer: Viewer,
                  requester_id: int) -> list[MessageView]:
    """The thread with author names; requesters see "Service desk" rather than staff names."""
    names: dict[int, str] = {}
    directory = has(viewer.principal, Permission.DIRECTORY_READ)
    for author_id in {m.author_id for m in messages if m.author_id is not None and directory}:
        names[author_id] = accounts.get_visible(session, actor=viewer.principal, user_id=author_id).full_name
    views = []
    for message in messages:
        if message.author_id == viewer.user_id:
            author = "You"
        elif message.author_id is None:
            author = "deskpilot"
        elif message.author_id in names:
            author = names[message.author_id]
        else:
            author = "Requester" if message.author_id == requester_id else "Service desk"
        views.append(MessageView(id=message.id, author=author, mine=message.author_id == viewer.user_id,
                                 internal=message.kind is MessageKind.INTERNAL_NOTE, body=message.body,
                                 created_at=message.created_at))
    return views


@dataclass(frozen=True)
class Pagination:
    page: int
    pages: int
    total: int
    per_page: int
    path: str
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, *, page: int, total: int, per_page: int, path: str,
           params: dict[str, str] | None = None) -> Pagination:
        pages = max(1, math.ceil(total / per_page))
        kept = tuple((k, v) for k, v in (params or {}).items() if v)
        return cls(page=page, pages=pages, total=total, per_page=per_page, path=path, params=kept)

    def href(self, page: int) -> str:
        return f"{self.path}?{urlencode((*self.params, ('page', str(page))))}"

    @property
    def previous_href(self) -> str | None:
        return self.href(self.page - 1) if self.page > 1 else None

    @property
    def next_href(self) -> str | None:
        return self.href(self.page + 1) if self.page < self.pages else None


def assignable_staff(session: Session) -> list[Row[tuple[int, str]]]:
    """(id, name) of the active agents, leads and admins, for the "Assign to" drop-downs."""
    return list(session.execute(select(User.id, User.full_name).where(
        User.role.in_([Role.AGENT, Role.LEAD, Role.ADMIN]), User.is_active.is_(True)).order_by(User.full_name)))


@dataclass(frozen=True)
class BulkLine:
    ticket_id: int
    ok: bool
    message: str


@dataclass(frozen=True)
class BulkReport:
    """What a bulk action did, for the queue page: a headline, then one line per ticket."""

    headline: str
    lines: tuple[BulkLine, ...] = ()

    @property
    def failed(self) -> tuple[BulkLine, ...]:
        return tuple(line for line in self.lines if not line.ok)
