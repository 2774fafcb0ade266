"""Runbook pages: the list, one runbook's versions with its YAML and a readable view of it, and approval by
signed-in leads (two, none the author, for high risk: runbooks/service.py decides). Agents and auditors read;
dry-runs, runs and rollbacks are in runbook_runs.py. Every change goes through the runbooks services."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, has
from deskpilot.api.deps import SessionDep
from deskpilot.errors import DomainError
from deskpilot.runbooks import service as definitions
from deskpilot.runbooks.definition import parse
from deskpilot.runbooks.enums import VersionStatus
from deskpilot.web.admin_forms import FormText
from deskpilot.web.templating import render
from deskpilot.web.viewer import PageGuard, Viewer

router = APIRouter(include_in_schema=False)
RUNBOOKS_PATH = "/runbooks"
NamePath = Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]{1,63}$")]
VersionQuery = Annotated[int | None, Query(ge=1, le=100_000)]
NOT_RUNBOOK_READER = "Runbooks are for the service desk's staff and auditors."


# The API's rule (runbook:read).
RUNBOOK_READERS = PageGuard(lambda principal: has(principal, Permission.RUNBOOK_READ), NOT_RUNBOOK_READER)
RunbookViewer = Annotated[Viewer, Depends(RUNBOOK_READERS.page)]
RunbookFormViewer = Annotated[Viewer, Depends(RUNBOOK_READERS.form)]


def may(viewer: Viewer) -> dict[str, bool]:
    """Which controls the page shows; the services check the same permissions again."""
    return {"approve": has(viewer.principal, Permission.RUNBOOK_APPROVE),
            "run": has(viewer.principal, Permission.RUNBOOK_RUN),
            "rollback": has(viewer.principal, Permission.RUNBOOK_ROLLBACK)}


@router.get(RUNBOOKS_PATH)
def runbooks(request: Request, session: SessionDep, viewer: RunbookViewer) -> Response:
    """Every runbook: its risk, the approvals it needs, the version that runs and any draft waiting."""
    rows = []
    for runbook in definitions.get_all(session):
        versions = definitions.versions(session, name=runbook.name)
        approved = [v.version for v in versions if v.status is VersionStatus.APPROVED]
        spec = parse(versions[-1].source)
        rows.append({"name": runbook.name, "title": spec.title, "risk": spec.risk.value,
                     "needed": spec.min_approvers, "current": approved[-1] if approved else None,
                     "drafts": [v.version for v in versions if v.status is VersionStatus.DRAFT]})
    return render(request, "runbooks/list.html", {"runbooks": rows}, viewer=viewer)


def runbook_page(request: Request, session: Session, viewer: Viewer, *, name: str, version: int | None = None,
                 notice: str | None = None, problem: str | None = None, status_code: int = 200) -> Response:
    versions = definitions.versions(session, name=name)
    shown = next((v for v in versions if v.version == version), None) if version else None
    if shown is None:
        drafts = [v for v in versions if v.status is VersionStatus.DRAFT]
        approved = [v for v in versions if v.status is VersionStatus.APPROVED]
        shown = (drafts or approved or versions)[-1]
    approvals = {v.id: [a.approver_name for a in definitions.approvals(session, version_id=v.id)] for v in versions}
    context: dict[str, Any] = {
        "name": name, "versions": list(reversed(versions)), "shown": shown, "spec": parse(shown.source),
        "approvals": approvals, "may": may(viewer), "notice": notice, "problem": problem,
        "runnable": any(v.status is VersionStatus.APPROVED for v in versions),
    }
    return render(request, "runbooks/runbook.html", context, viewer=viewer, section=RUNBOOKS_PATH,
                  status_code=status_code)


@router.get(RUNBOOKS_PATH + "/{name}")
def runbook(name: NamePath, request: Request, session: SessionDep, viewer: RunbookViewer,
            version: VersionQuery = None, done: str = "") -> Response:
    notices = {"approval": "Your approval was recorded.",
               "approved": "The version is approved: it is the one that runs now."}
    return runbook_page(request, session, viewer, name=name, version=version, notice=notices.get(done))


@router.post(RUNBOOKS_PATH + "/{name}/versions/{version}/approve")
def approve(name: NamePath, version: Annotated[int, Path(ge=1, le=100_000)], request: Request,
            session: SessionDep, viewer: RunbookFormViewer, content_hash: FormText = "") -> Response:
    """Approve the text the lead was shown (its hash travels with the form, so a changed text is refused)."""
    try:
        approved = definitions.approve(session, actor=viewer.principal, name=name, version=version,
                                       reviewed_hash=content_hash)
    except DomainError as exc:
        session.rollback()
        return runbook_page(request, session, viewer, name=name, version=version, problem=exc.message,
                            status_code=exc.status_code)
    done = "approved" if approved.status is VersionStatus.APPROVED else "approval"
    return RedirectResponse(f"{RUNBOOKS_PATH}/{name}?version={version}&done={done}", status_code=303)
