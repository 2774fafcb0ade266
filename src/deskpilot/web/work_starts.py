"""The console tells the server when an agent opens a ticket to work on it (htmx, once the page has loaded), for
the "agent minutes per e-mail" KPI; a page without JavaScript simply is not measured."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from deskpilot.api.deps import IdPath, SessionDep
from deskpilot.tickets import work_time
from deskpilot.web.viewer import FormViewer

router = APIRouter(include_in_schema=False)


@router.post("/console/tickets/{ticket_id}/opened")
def ticket_opened(ticket_id: IdPath, session: SessionDep, viewer: FormViewer) -> Response:
    work_time.record_start(session, actor=viewer.principal, ticket_id=ticket_id)
    return Response(status_code=204)
