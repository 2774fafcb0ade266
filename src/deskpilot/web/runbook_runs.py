"""Runbook runs in pages: a dry-run preview from the runbook's parameters, the run it permits, every run with
its steps and journal (its audit trail), and the rollback button. The executor checks every rule: approvals,
a fresh dry-run with the same parameters, the permissions of the signed-in user."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from deskpilot.api.deps import IdPath, SessionDep, SettingsInForce, settings_in_force
from deskpilot.audit import service as audit
from deskpilot.errors import DomainError, InvalidInput
from deskpilot.runbooks import executor
from deskpilot.runbooks import service as definitions
from deskpilot.runbooks.definition import parse
from deskpilot.runbooks.enums import RunMode, RunStatus
from deskpilot.runbooks.models import RunbookRun, RunbookVersion
from deskpilot.web.runbook_pages import (
    RUNBOOKS_PATH,
    NamePath,
    RunbookFormViewer,
    RunbookViewer,
    may,
    runbook_page,
)
from deskpilot.web.templating import render
from deskpilot.web.viewer import PostedForm, Viewer

router = APIRouter(include_in_schema=False)
RUNS_PATH = RUNBOOKS_PATH + "/runs"
PARAM = "param_"
RUNS_SHOWN = 100


def _parameters(form: FormData) -> dict[str, str]:
    return {key[len(PARAM):]: str(value) for key, value in form.items() if key.startswith(PARAM) and str(value)}


def _ticket_id(form: FormData) -> int | None:
    raw = str(form.get("ticket_id", "")).strip().removeprefix("DP-")
    if not raw:
        return None
    if not raw.isdigit() or int(raw) > 2_147_483_647:
        raise InvalidInput(f"“{raw}” is not a ticket number (for example DP-42 or 42).")
    return int(raw)


def _request(name: str, form: FormData, *, dry_run_id: int | None = None) -> executor.RunRequest:
    return executor.RunRequest(runbook=name, parameters=_parameters(form), ticket_id=_ticket_id(form),
                               dry_run_id=dry_run_id)


def _start(request: Request, session: Session, viewer: Viewer, *, name: str, form: FormData,
           mode: RunMode) -> Response:
    settings = settings_in_force(request, session)
    try:
        if mode is RunMode.DRY_RUN:
            started = executor.dry_run(session, settings=settings, actor=viewer.principal,
                                       request=_request(name, form))
        else:
            dry_id = str(form.get("dry_run_id", ""))
            started = executor.run(session, settings=settings, actor=viewer.principal, request=_request(
                name, form, dry_run_id=int(dry_id) if dry_id.isdigit() else None))
    except DomainError as exc:
        session.rollback()
        return runbook_page(request, session, viewer, name=name, problem=exc.message, status_code=exc.status_code)
    return RedirectResponse(f"{RUNS_PATH}/{started.id}", status_code=303)


@router.post(RUNBOOKS_PATH + "/{name}/dry-run")
def dry_run(name: NamePath, request: Request, session: SessionDep, viewer: RunbookFormViewer,
            form: PostedForm) -> Response:
    """Preview what a run would change; nothing is changed."""
    return _start(request, session, viewer, name=name, form=form, mode=RunMode.DRY_RUN)


@router.post(RUNBOOKS_PATH + "/{name}/run")
def run(name: NamePath, request: Request, session: SessionDep, viewer: RunbookFormViewer,
        form: PostedForm) -> Response:
    """Execute after the dry-run shown on the page (its id travels with the form)."""
    return _start(request, session, viewer, name=name, form=form, mode=RunMode.EXECUTE)


@router.get(RUNS_PATH)
def runs(request: Request, session: SessionDep, viewer: RunbookViewer) -> Response:
    """The latest runs and dry-runs, newest first."""
    rows = executor.get_runs(session, actor=viewer.principal, limit=RUNS_SHOWN)
    return render(request, "runbooks/runs.html", {"runs": rows, "names": _names(session, rows)}, viewer=viewer,
                  section=RUNBOOKS_PATH)


def _names(session: Session, rows: list[RunbookRun]) -> dict[int, str]:
    """version id → "runbook vN", for the runs shown."""
    names: dict[int, str] = {}
    for version_id in {r.version_id for r in rows}:
        version = session.get(RunbookVersion, version_id)
        if version is not None:
            runbook = definitions.get_by_id(session, runbook_id=version.runbook_id)
            names[version_id] = f"{runbook.name} v{version.version}"
    return names


def _run_page(request: Request, session: Session, viewer: Viewer, *, run_id: int, problem: str | None = None,
              status_code: int = 200) -> Response:
    found = executor.get_run(session, actor=viewer.principal, run_id=run_id)
    version = session.get(RunbookVersion, found.version_id)
    assert version is not None  # a run's version is never deleted (no ON DELETE on the key)
    name = definitions.get_by_id(session, runbook_id=version.runbook_id).name
    spec = parse(version.source)
    journal, _ = audit.get_all(session, subject_type="runbook_run", subject_id=str(run_id), limit=50)
    return render(request, "runbooks/run.html", {
        "run": found, "name": name, "version": version, "spec": spec, "may": may(viewer), "problem": problem,
        "notice": None, "steps": executor.run_steps(session, run_id=run_id), "journal": list(reversed(journal)),
        "can_run": found.mode is RunMode.DRY_RUN and found.status is RunStatus.PLANNED,
        "can_roll_back": found.mode is RunMode.EXECUTE and found.status in (RunStatus.SUCCEEDED,
                                                                             RunStatus.RECOVERED),
    }, viewer=viewer, section=RUNBOOKS_PATH, status_code=status_code)


@router.get(RUNS_PATH + "/{run_id}")
def run_detail(run_id: IdPath, request: Request, session: SessionDep, viewer: RunbookViewer) -> Response:
    return _run_page(request, session, viewer, run_id=run_id)


@router.post(RUNS_PATH + "/{run_id}/rollback")
def rollback(run_id: IdPath, request: Request, session: SessionDep, settings: SettingsInForce,
             viewer: RunbookFormViewer) -> Response:
    """Undo a succeeded run, step by step in reverse (leads)."""
    try:
        executor.rollback(session, settings=settings, actor=viewer.principal, run_id=run_id)
    except DomainError as exc:
        session.rollback()
        return _run_page(request, session, viewer, run_id=run_id, problem=exc.message, status_code=exc.status_code)
    return RedirectResponse(f"{RUNS_PATH}/{run_id}", status_code=303)
