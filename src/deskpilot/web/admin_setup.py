"""Admin pages for the desk's set-up: the overview, teams (create, rename, describe) and queues (list with their
owning team, create, edit, and each queue's escalation path). Every change goes through the accounts and set-up
services."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.enums import Role
from deskpilot.api.deps import IdPath, SessionDep
from deskpilot.errors import DomainError
from deskpilot.tickets import escalation, setup
from deskpilot.tickets.setup_schemas import EscalationTrigger
from deskpilot.web.admin_forms import (
    AdminFormViewer,
    AdminViewer,
    EscalationForm,
    FormText,
    QueueForm,
    TeamForm,
    save_or_show,
)
from deskpilot.web.navigation import ADMIN_PATH
from deskpilot.web.templating import render
from deskpilot.web.viewer import PostedForm, Viewer

router = APIRouter(include_in_schema=False)
TEAMS = "/admin/teams"
QUEUES = "/admin/queues"


@router.get(ADMIN_PATH)
def overview(request: Request, session: SessionDep, viewer: AdminViewer) -> Response:
    """Where an administrator lands: what there is to manage, with counts."""
    _, users = accounts.get_all(session, actor=viewer.principal, limit=1)
    return render(request, "admin/index.html", {
        "users": users, "teams": len(accounts.get_teams(session, actor=viewer.principal)),
        "queues": len(setup.get_queues(session, actor=viewer.principal)),
    }, viewer=viewer)


def _teams_page(request: Request, session: Session, viewer: Viewer, *, form: TeamForm, problem: str | None = None,
                editing: tuple[int, TeamForm] | None = None, notice: str | None = None,
                status_code: int = 200) -> Response:
    return render(request, "admin/teams.html", {
        "teams": accounts.get_teams(session, actor=viewer.principal), "form": form, "problem": problem,
        "editing": editing, "notice": notice,
    }, viewer=viewer, status_code=status_code)


@router.get(TEAMS)
def teams(request: Request, session: SessionDep, viewer: AdminViewer, saved: bool = False) -> Response:
    notice = "The team was saved." if saved else None
    return _teams_page(request, session, viewer, form=TeamForm(), notice=notice)


@router.post(TEAMS)
def create_team(request: Request, session: SessionDep, viewer: AdminFormViewer, name: FormText = "",
                description: FormText = "") -> Response:
    form = TeamForm(name=name, description=description)
    return save_or_show(session, form.to_team(), lambda data: accounts.create_team(
        session, actor=viewer.principal, data=data), lambda problem, status_code: _teams_page(
        request, session, viewer, form=form, problem=problem, status_code=status_code), f"{TEAMS}?saved=1")


@router.post(TEAMS + "/{team_id}")
def update_team(team_id: IdPath, request: Request, session: SessionDep, viewer: AdminFormViewer,
                name: FormText = "", description: FormText = "") -> Response:
    """Rename a team or change its description; a problem is shown beside the team's form, as typed."""
    typed = TeamForm(name=name, description=description)
    data = typed.to_team()
    problem, status_code = "The team was not saved: correct the fields marked below.", 422
    if data is not None:
        try:
            accounts.update_team(session, actor=viewer.principal, team_id=team_id, data=data)
            return RedirectResponse(f"{TEAMS}?saved=1", status_code=303)
        except DomainError as exc:
            session.rollback()
            problem, status_code = exc.message, exc.status_code
    return _teams_page(request, session, viewer, form=TeamForm(), problem=problem, editing=(team_id, typed),
                       status_code=status_code)


def _queues_page(request: Request, session: Session, viewer: Viewer, *, form: QueueForm, problem: str | None = None,
                 notice: str | None = None, status_code: int = 200) -> Response:
    teams = accounts.get_teams(session, actor=viewer.principal)
    return render(request, "admin/queues.html", {
        "queues": setup.get_queues(session, actor=viewer.principal), "teams": teams,
        "team_names": {t.id: t.name for t in teams}, "form": form, "problem": problem, "notice": notice,
    }, viewer=viewer, status_code=status_code)


@router.get(QUEUES)
def queues(request: Request, session: SessionDep, viewer: AdminViewer, created: bool = False,
           saved: bool = False) -> Response:
    notice = "The queue was created." if created else "The queue was saved." if saved else None
    return _queues_page(request, session, viewer, form=QueueForm(), notice=notice)


@router.post(QUEUES)
def create_queue(request: Request, session: SessionDep, viewer: AdminFormViewer, name: FormText = "",
                 description: FormText = "", team_id: FormText = "") -> Response:
    form = QueueForm(name=name, description=description, team_id=team_id)
    return save_or_show(session, form.to_queue(), lambda data: setup.create_queue(
        session, actor=viewer.principal, data=data), lambda problem, status_code: _queues_page(
        request, session, viewer, form=form, problem=problem, status_code=status_code), f"{QUEUES}?created=1")


def _queue_page(request: Request, session: Session, viewer: Viewer, *, queue_id: int, form: QueueForm | None = None,
                path: EscalationForm | None = None, problem: str | None = None, notice: str | None = None,
                status_code: int = 200) -> Response:
    """A queue's form and its escalation path, each as typed when it was refused, with the sweep's latest notices."""
    found = setup.get_queue(session, actor=viewer.principal, queue_id=queue_id)
    teams = accounts.get_teams(session, actor=viewer.principal)
    form = form or QueueForm(name=found.name, description=found.description,
                             team_id=str(found.team_id) if found.team_id else "")
    return render(request, "admin/queue.html", {
        "queue": found, "form": form, "teams": teams, "team_names": {t.id: t.name for t in teams},
        "path": path or EscalationForm.of(found), "roles": [role.value for role in Role],
        "triggers": [(t.value, t.value.replace("_", " ")) for t in EscalationTrigger],
        "notices": escalation.recent_notices(session, actor=viewer.principal, queue_id=queue_id),
        "problem": problem, "notice": notice,
    }, viewer=viewer, section=QUEUES, status_code=status_code)


@router.get(QUEUES + "/{queue_id}")
def queue(queue_id: IdPath, request: Request, session: SessionDep, viewer: AdminViewer, saved: str = "") -> Response:
    notice = {"path": "The escalation path was saved: the SLA sweep walks it from its next run."}.get(saved)
    return _queue_page(request, session, viewer, queue_id=queue_id, notice=notice)


@router.post(QUEUES + "/{queue_id}/escalation")
def set_escalation_path(queue_id: IdPath, request: Request, session: SessionDep, viewer: AdminFormViewer,
                        form: PostedForm) -> Response:
    """Replace the queue's escalation path with the rows as typed (blank or removed rows are dropped)."""
    path = EscalationForm.posted({key: str(value) for key, value in form.items()})
    return save_or_show(session, path.to_update(), lambda data: setup.set_escalation_path(
        session, actor=viewer.principal, queue_id=queue_id, data=data), lambda problem, status_code: _queue_page(
        request, session, viewer, queue_id=queue_id, path=path,
        problem=problem or "The escalation path was not saved: correct the rows marked below.",
        status_code=status_code), f"{QUEUES}/{queue_id}?saved=path#escalation-title")


@router.post(QUEUES + "/{queue_id}")
def update_queue(queue_id: IdPath, request: Request, session: SessionDep, viewer: AdminFormViewer,
                 name: FormText = "", description: FormText = "", team_id: FormText = "") -> Response:
    """Rename a queue, change its description or its owning team."""
    form = QueueForm(name=name, description=description, team_id=team_id)
    return save_or_show(session, form.to_update(), lambda data: setup.update_queue(
        session, actor=viewer.principal, queue_id=queue_id, data=data), lambda problem, status_code: _queue_page(
        request, session, viewer, queue_id=queue_id, form=form, problem=problem, status_code=status_code),
        f"{QUEUES}?saved=1")
