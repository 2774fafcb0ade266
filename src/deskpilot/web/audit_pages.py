"""Audit pages for auditors and administrators: the event log filtered by actor, subject, action and time; the
chain's verification on request; the CSV export; and the AI decisions with their inputs, sources and model.

Filters arrive as text, so a field left blank ("Any") is simply no filter, and a date that cannot be read is
said on the page rather than answered with 422.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from deskpilot.accounts.permissions import Permission, has
from deskpilot.api.deps import SessionDep
from deskpilot.audit import decisions
from deskpilot.audit import service as audit
from deskpilot.audit.enums import DecisionKind
from deskpilot.web.portal import PageNumber
from deskpilot.web.templating import render
from deskpilot.web.ticket_views import Pagination
from deskpilot.web.viewer import PageGuard, Viewer

router = APIRouter(include_in_schema=False)
AUDIT_PATH = "/audit"
PER_PAGE = 50
NOT_AUDITOR = "The audit log is for auditors and administrators."
Text = Annotated[str, Query(max_length=120)]


# The API's rule (audit:read), so auditors and administrators.
AUDIT = PageGuard(lambda principal: has(principal, Permission.AUDIT_READ), NOT_AUDITOR)
AuditViewer = Annotated[Viewer, Depends(AUDIT.page)]


def _day(value: str, label: str, problems: list[str]) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        problems.append(f"“{value}” is not a date for {label}; use the date picker or YYYY-MM-DD.")
        return None


def period(since: str, until: str) -> tuple[datetime | None, datetime | None, list[str]]:
    """The UTC instants of whole days `since`..`until` (inclusive), and what could not be read."""
    problems: list[str] = []
    first, last = _day(since, "From", problems), _day(until, "To", problems)
    start = datetime.combine(first, time(), UTC) if first else None
    end = datetime.combine(last + timedelta(days=1), time(), UTC) if last else None
    return start, end, problems


@router.get(AUDIT_PATH)
def events(request: Request, session: SessionDep, viewer: AuditViewer, page: PageNumber = 1, actor: Text = "",
           subject_type: Text = "", subject_id: Text = "", action: Text = "", since: Text = "",
           until: Text = "") -> Response:
    """The log, newest first, filtered by whichever fields are filled in."""
    start, end, problems = period(since, until)
    filters = {"actor": actor.strip(), "subject_type": subject_type.strip(), "subject_id": subject_id.strip(),
               "action": action.strip(), "since": since.strip(), "until": until.strip()}
    rows, total = audit.get_all(session, actor_name=filters["actor"] or None,
                                subject_type=filters["subject_type"] or None,
                                subject_id=filters["subject_id"] or None, action=filters["action"] or None,
                                since=start, until=end, offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    return render(request, "audit/events.html", {
        "events": rows, "filters": filters, "problem": " ".join(problems) or None, "notice": None,
        "pagination": Pagination.of(page=page, total=total, per_page=PER_PAGE, path=AUDIT_PATH, params=filters),
        "total": total,
    }, viewer=viewer)


@router.get(AUDIT_PATH + "/verify")
def verify(request: Request, session: SessionDep, viewer: AuditViewer) -> Response:
    """Recompute the hash chain against the signed checkpoints and show what, if anything, was tampered with."""
    result = audit.verify(session)
    return render(request, "audit/verify.html", {"result": result}, viewer=viewer, section=AUDIT_PATH)


@router.get(AUDIT_PATH + "/export.csv")
def export(session: SessionDep, viewer: AuditViewer) -> StreamingResponse:
    """The whole log as spreadsheet-safe CSV, oldest first (the API's export)."""
    del viewer
    lines = list(audit.export_csv(session))
    return StreamingResponse(iter(lines), media_type="text/csv",
                             headers={"Content-Disposition": 'attachment; filename="deskpilot-audit.csv"'})


@router.get(AUDIT_PATH + "/decisions")
def ai_decisions(request: Request, session: SessionDep, viewer: AuditViewer, page: PageNumber = 1,
                 kind: Text = "", since: Text = "", until: Text = "") -> Response:
    """What each model decided, on which (redacted) input, from which sources, with which model version."""
    start, end, problems = period(since, until)
    chosen = next((k for k in DecisionKind if k.value == kind), None)
    if kind and chosen is None:
        problems.append(f"There is no kind of decision “{kind}”.")
    rows, total = decisions.get_all(session, kind=chosen, since=start, until=end, offset=(page - 1) * PER_PAGE,
                                    limit=PER_PAGE)
    params = {"kind": kind, "since": since.strip(), "until": until.strip()}
    context: dict[str, Any] = {
        "decisions": rows, "kinds": list(DecisionKind), "filters": params, "total": total,
        "problem": " ".join(problems) or None, "notice": None,
        "pagination": Pagination.of(page=page, total=total, per_page=PER_PAGE, path=AUDIT_PATH + "/decisions",
                                    params=params),
    }
    return render(request, "audit/decisions.html", context, viewer=viewer, section=AUDIT_PATH)
