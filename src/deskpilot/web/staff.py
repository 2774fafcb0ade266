"""The staff landing page: the tickets a staff member can see, filtered and sorted.

Deliberately small: the agent console (assignment, drafts, bulk actions) builds on the same base later.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from deskpilot.api.deps import SessionDep
from deskpilot.clock import utcnow
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import TicketStatus
from deskpilot.tickets.schemas import TicketSort
from deskpilot.web import wording
from deskpilot.web.portal import PER_PAGE, PageNumber
from deskpilot.web.templating import render
from deskpilot.web.ticket_views import Pagination, ticket_view
from deskpilot.web.viewer import StaffViewer

router = APIRouter(include_in_schema=False)


_SORTS = ((TicketSort.NEWEST, "Newest first"), (TicketSort.DUE, "Resolution target, soonest first"),
          (TicketSort.PRIORITY, "Priority, highest first"), (TicketSort.OLDEST, "Oldest first"))


@router.get("/queue")
def queue(request: Request, session: SessionDep, viewer: StaffViewer, page: PageNumber = 1,
          status: Annotated[TicketStatus | None, Query()] = None,
          sort: Annotated[TicketSort, Query()] = TicketSort.NEWEST) -> Response:
    """Every ticket the viewer may see, filtered by status and sorted as chosen."""
    offset = (page - 1) * PER_PAGE
    rows, total = tickets.get_all(session, actor=viewer.principal, status=status, sort=sort,
                                  offset=offset, limit=PER_PAGE)
    now = utcnow()
    params = {"status": status.value if status else "", "sort": sort.value}
    return render(request, "staff/queue.html", {
        "tickets": [ticket_view(session, t, viewer=viewer, now=now) for t in rows],
        "pagination": Pagination.of(page=page, total=total, per_page=PER_PAGE, path="/queue", params=params),
        "status": status, "sort": sort, "sorts": _SORTS,
        "statuses": [(s, wording.status_label(s, for_requester=False)) for s in TicketStatus],
    }, viewer=viewer)
