"""/admin/jobs: the dead letters (runs whose retry policy gave up) with their error, a Retry and a Discard button
each, the ones already handled, and the progress of long runs. Retry and discard go through the jobs service,
which audits them; the worker queues a retried run within seconds."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from deskpilot.api.deps import IdPath, SessionDep
from deskpilot.errors import Conflict, NotFound
from deskpilot.jobs import service
from deskpilot.jobs.enums import DeadLetterStatus
from deskpilot.web.admin_forms import AdminFormViewer, AdminViewer
from deskpilot.web.templating import render
from deskpilot.web.viewer import Viewer

router = APIRouter(include_in_schema=False)
JOBS = "/admin/jobs"
_NOTICES = {"retry": "The run is queued again: the worker picks it up within seconds.",
            "discard": "The run was discarded."}


def _page(request: Request, session: Session, viewer: Viewer, *, notice: str | None = None,
          problem: str | None = None, status_code: int = 200) -> Response:
    actor = viewer.principal
    context = {"waiting": service.get_all_failed(session, actor=actor, status=DeadLetterStatus.FAILED, limit=200),
               "handled": [row for row in service.get_all_failed(session, actor=actor, limit=100)
                           if row.status != DeadLetterStatus.FAILED][:20],
               "progress": service.get_progress(session, actor=actor), "notice": notice, "problem": problem}
    return render(request, "admin/jobs.html", context, viewer=viewer, status_code=status_code)


@router.get(JOBS)
def jobs_page(request: Request, session: SessionDep, viewer: AdminViewer, done: str = "") -> Response:
    return _page(request, session, viewer, notice=_NOTICES.get(done))


def _handle(request: Request, session: Session, viewer: Viewer, failed_id: int, action: str) -> Response:
    try:
        if action == "retry":
            service.request_retry(session, actor=viewer.principal, failed_id=failed_id)
        else:
            service.discard(session, actor=viewer.principal, failed_id=failed_id)
    except (Conflict, NotFound) as exc:
        session.rollback()
        return _page(request, session, viewer, problem=exc.message, status_code=exc.status_code)
    return RedirectResponse(f"{JOBS}?done={action}", status_code=303)


@router.post(JOBS + "/{failed_id}/retry")
def retry(failed_id: IdPath, request: Request, session: SessionDep, viewer: AdminFormViewer) -> Response:
    return _handle(request, session, viewer, failed_id, "retry")


@router.post(JOBS + "/{failed_id}/discard")
def discard(failed_id: IdPath, request: Request, session: SessionDep, viewer: AdminFormViewer) -> Response:
    return _handle(request, session, viewer, failed_id, "discard")
