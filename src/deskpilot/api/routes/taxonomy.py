"""/api/v1/triage/categories and /api/v1/triage/taxonomy/versions: the desk's taxonomy, edited by admins."""

from __future__ import annotations

from fastapi import APIRouter, status

from deskpilot.accounts.permissions import Permission, require
from deskpilot.api.deps import CurrentPrincipal, IdPath, SessionDep
from deskpilot.triage import categories
from deskpilot.triage.taxonomy_schemas import CategoryCreate, CategoryRead, CategoryUpdate, TaxonomyVersionRead

router = APIRouter(prefix="/api/v1/triage", tags=["triage"])


@router.get("/categories", operation_id="list_triage_categories")
def list_categories(session: SessionDep, actor: CurrentPrincipal, include_inactive: bool = False
                    ) -> list[CategoryRead]:
    """The categories triage may output, with their descriptions, example requests and default queues."""
    require(actor, Permission.TICKET_WORK)
    return [CategoryRead.model_validate(c) for c in categories.get_all(session, active_only=not include_inactive)]


@router.post("/categories", status_code=status.HTTP_201_CREATED, operation_id="create_triage_category")
def create_category(data: CategoryCreate, session: SessionDep, actor: CurrentPrincipal) -> CategoryRead:
    """Add a category (admins); the taxonomy gets a new version."""
    return CategoryRead.model_validate(categories.create(session, actor=actor, data=data))


@router.patch("/categories/{category_id}", operation_id="update_triage_category")
def update_category(category_id: IdPath, data: CategoryUpdate, session: SessionDep,
                    actor: CurrentPrincipal) -> CategoryRead:
    """Change a category's description, examples, queue or active flag (admins); a new taxonomy version."""
    return CategoryRead.model_validate(categories.update(session, actor=actor, category_id=category_id, data=data))


@router.get("/taxonomy/versions", operation_id="list_taxonomy_versions")
def list_versions(session: SessionDep, actor: CurrentPrincipal) -> list[TaxonomyVersionRead]:
    """Every version of the taxonomy, newest first: who changed what, when, and the categories after it."""
    return [TaxonomyVersionRead.model_validate(v) for v in categories.versions(session, actor=actor)]
