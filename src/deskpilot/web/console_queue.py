"""The agent console's queue: SLA countdowns with near-breach and breach highlighted, filters, saved views."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, has
from deskpilot.api.deps import SessionDep
from deskpilot.clock import utcnow
from deskpilot.tickets import queue_views
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import Priority, TicketStatus
from deskpilot.tickets.lifecycle import OPEN_STATUSES
from deskpilot.tickets.models import Queue
from deskpilot.tickets.schemas import TicketSort
from deskpilot.tickets.sla_clock import SlaState
from deskpilot.web.forms import ConsoleFilters
from deskpilot.web.templating import render
from deskpilot.web.ticket_views import BulkReport, assignable_staff, ticket_view
from deskpilot.web.viewer import FormViewer, StaffViewer, Viewer

router = APIRouter(include_in_schema=False)
LIMIT = 100
# Drop-downs are read as text: "Any" is an empty string, which an enum or int parameter would refuse (422).
Choice = Annotated[str, Query(max_length=20)]


def countdown(due: datetime | None, now: datetime) -> tuple[str, str]:
    """'due in 2 h 05 min' / 'overdue by 40 min', and its tone."""
    if due is None:
        return "no target", ""
    minutes = int((due - now).total_seconds() // 60)
    hours, rest = divmod(abs(minutes), 60)
    span = f"{hours} h {rest:02d} min" if hours else f"{rest} min"
    return (f"overdue by {span}", "late") if minutes < 0 else (f"due in {span}", "near" if minutes < 60 else "")


@router.get("/console")
def console_queue(request: Request, session: SessionDep, viewer: StaffViewer, status: Choice = "", queue: Choice = "",
                  priority: Choice = "", mine: Choice = "", q: Annotated[str, Query(max_length=200)] = "",
                  sort: Choice = "") -> Response:
    """The tickets the viewer can work, most urgent SLA first by default."""
    chosen = ConsoleFilters.parse(status=status, queue=queue, priority=priority, mine=mine, q=q, sort=sort)
    return queue_page(request, session, viewer, chosen)


def queue_page(request: Request, session: Session, viewer: Viewer, chosen: ConsoleFilters, *,
               bulk: BulkReport | None = None, status_code: int = 200) -> Response:
    """The queue for `chosen` filters; `bulk` reports what a bulk action just did, ticket by ticket."""
    rows, total = tickets.get_all(session, actor=viewer.principal, status=chosen.status, queue_id=chosen.queue_id,
                                  priority=chosen.priority, assignee_id=viewer.user_id if chosen.mine else None,
                                  search=chosen.q or None, sort=chosen.sort, limit=LIMIT)
    now = utcnow()
    items = []
    for ticket in rows:
        view = ticket_view(session, ticket, viewer=viewer, now=now)
        worst = view.clocks.worst
        due = view.first_reply_due if ticket.first_responded_at is None else view.resolution_due
        text, tone = countdown(due, now) if ticket.status in OPEN_STATUSES else ("", "")
        row_class = {SlaState.BREACHED: "sla-breached", SlaState.NEAR_BREACH: "sla-near"}.get(worst, "")
        items.append({"view": view, "countdown": text, "tone": tone, "row_class": row_class,
                      "state": worst.value, "category": ticket.category or ""})
    filters = chosen.as_query()
    return render(request, "console/queue.html", {
        "items": items, "total": total, "filters": filters, "statuses": list(TicketStatus),
        "priorities": list(Priority), "sorts": list(TicketSort),
        "queues": session.execute(select(Queue.id, Queue.name).order_by(Queue.name)).all(),
        "views": [(v.id, v.name, urlencode(v.filters)) for v in queue_views.get_all(session, actor=viewer.principal)],
        "query": urlencode({k: v for k, v in filters.items() if v}),
        "can_bulk": has(viewer.principal, Permission.TICKET_WORK), "bulk": bulk,
        "staff": assignable_staff(session) if has(viewer.principal, Permission.TICKET_WORK) else [],
    }, viewer=viewer, status_code=status_code)


@router.post("/console/views")
def save_view(session: SessionDep, viewer: FormViewer, name: Annotated[str, Form(max_length=80)] = "",
              query: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """Save the current filters under a name (replacing a view of the same name)."""
    view = queue_views.save(session, actor=viewer.principal, name=name, filters=dict(parse_qsl(query)))
    return RedirectResponse(f"/console?{urlencode(view.filters)}", status_code=303)
