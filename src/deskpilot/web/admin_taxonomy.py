"""The admin page of the desk's taxonomy: each category's description, example requests (one per line), default
queue, the criticality of its service (a priority signal) and whether triage may use it; a new category; and the
version history (who changed what, when). Every change goes through the triage area's categories service, the
same one as /api/v1/triage/categories."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from deskpilot.api.deps import IdPath, SessionDep
from deskpilot.errors import DomainError
from deskpilot.tickets import setup
from deskpilot.triage import categories
from deskpilot.triage.models import Criticality
from deskpilot.triage.taxonomy_schemas import CategoryCreate, CategoryUpdate
from deskpilot.web.admin_forms import AdminFormViewer, AdminViewer, FormText, field_errors
from deskpilot.web.templating import render
from deskpilot.web.viewer import Viewer

router = APIRouter(include_in_schema=False)
TAXONOMY = "/admin/taxonomy"
SHOWN_VERSIONS = 20


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _queue_id(text: str) -> int | None:
    return int(text) if text.strip().isdigit() else None


def _page(request: Request, session: Session, viewer: Viewer, *, problem: str | None = None,
          notice: str | None = None, errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    queues = setup.get_queues(session, actor=viewer.principal)
    return render(request, "admin/taxonomy.html", {
        "categories": categories.get_all(session, active_only=False), "queues": queues,
        "queue_names": {q.id: q.name for q in queues}, "problem": problem, "notice": notice,
        "errors": errors or {}, "criticalities": [c.value for c in Criticality],
        "versions": categories.versions(session, actor=viewer.principal)[:SHOWN_VERSIONS],
    }, viewer=viewer, status_code=status_code)


@router.get(TAXONOMY)
def taxonomy(request: Request, session: SessionDep, viewer: AdminViewer, saved: bool = False) -> Response:
    """The taxonomy triage reads, editable by administrators."""
    return _page(request, session, viewer, notice="The taxonomy was saved as a new version." if saved else None)


@router.post(TAXONOMY)
def create_category(request: Request, session: SessionDep, viewer: AdminFormViewer, name: FormText = "",
                    description: FormText = "", examples: FormText = "", default_queue_id: FormText = "",
                    criticality: FormText = Criticality.STANDARD.value) -> Response:
    try:
        data = CategoryCreate.model_validate({
            "name": name.strip(), "description": description.strip(), "examples": _lines(examples),
            "default_queue_id": _queue_id(default_queue_id), "criticality": criticality.strip()})
        categories.create(session, actor=viewer.principal, data=data)
    except ValidationError as exc:
        return _page(request, session, viewer, problem="The category was not added: correct the fields below.",
                     errors=field_errors(exc), status_code=422)
    except DomainError as exc:
        session.rollback()
        return _page(request, session, viewer, problem=exc.message, status_code=exc.status_code)
    return RedirectResponse(f"{TAXONOMY}?saved=1", status_code=303)


@router.post(TAXONOMY + "/{category_id}")
def update_category(category_id: IdPath, request: Request, session: SessionDep, viewer: AdminFormViewer,
                    description: FormText = "", examples: FormText = "", default_queue_id: FormText = "",
                    active: FormText = "", criticality: FormText = "") -> Response:
    """Save one category's fields; the taxonomy gets a new version when something changed."""
    try:
        data = CategoryUpdate.model_validate({
            "description": description.strip(), "examples": _lines(examples),
            "default_queue_id": _queue_id(default_queue_id), "active": bool(active),
            "criticality": criticality.strip() or None})
        categories.update(session, actor=viewer.principal, category_id=category_id, data=data)
    except ValidationError as exc:
        return _page(request, session, viewer, problem="The category was not saved: correct the fields below.",
                     errors=field_errors(exc), status_code=422)
    except DomainError as exc:
        session.rollback()
        return _page(request, session, viewer, problem=exc.message, status_code=exc.status_code)
    return RedirectResponse(f"{TAXONOMY}?saved=1", status_code=303)
