"""The admin's retention section: each kind of data with its period, what is past it now (a dry run on every
view), the last run from the audit log, and a button that runs it. The same use case as the daily job and
`deskpilot privacy retention`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from deskpilot.api.deps import SessionDep, get_settings
from deskpilot.clock import utcnow
from deskpilot.errors import DomainError
from deskpilot.privacy.retention import apply_retention, last_run
from deskpilot.web.admin_forms import AdminFormViewer, AdminViewer
from deskpilot.web.templating import render
from deskpilot.web.viewer import Viewer

router = APIRouter(include_in_schema=False)
RETENTION = "/admin/retention"


def _page(request: Request, session: Session, viewer: Viewer, *, notice: str | None = None,
          problem: str | None = None, status_code: int = 200) -> Response:
    preview = apply_retention(session, settings=get_settings(request), actor=viewer.principal, now=utcnow(),
                              dry_run=True)
    return render(request, "admin/retention.html", {
        "preview": preview, "last": last_run(session, actor=viewer.principal), "notice": notice,
        "problem": problem}, viewer=viewer, status_code=status_code)


@router.get(RETENTION)
def retention_page(request: Request, session: SessionDep, viewer: AdminViewer, done: str = "") -> Response:
    notice = f"Retention ran: {done}." if done else None
    return _page(request, session, viewer, notice=notice)


@router.post(RETENTION)
def run_retention(request: Request, session: SessionDep, viewer: AdminFormViewer) -> Response:
    """Remove what is past its period now (audited), then show the section again."""
    try:
        report = apply_retention(session, settings=get_settings(request), actor=viewer.principal, now=utcnow())
    except DomainError as exc:
        session.rollback()
        return _page(request, session, viewer, problem=exc.message, status_code=exc.status_code)
    removed = sum(line.records for line in report.lines)
    files = sum(line.files for line in report.lines)
    return RedirectResponse(f"{RETENTION}?done={removed}+records,+{files}+files", status_code=303)
