"""/api/v1/users/{id}/erasure-plan, /api/v1/users/{id}/erasures and /api/v1/erasures/{id}/approve: a person's
right to erasure, for admins: a dry run, a request by one admin, the approval by another (the `privacy.erase`
job then runs it), and its progress."""

from __future__ import annotations

from fastapi import APIRouter

from deskpilot.api.deps import CurrentPrincipal, IdPath, RuntimeDep, SessionDep, SettingsDep
from deskpilot.privacy import erasure
from deskpilot.privacy.export import find_person
from deskpilot.privacy.models import ErasureRequest
from deskpilot.privacy.schemas import ErasureChangeRead, ErasureCreate, ErasureRead
from deskpilot.privacy.sources import all_sources

router = APIRouter(prefix="/api/v1", tags=["privacy"])


def _read(request: ErasureRequest) -> ErasureRead:
    return ErasureRead.of(request, steps_total=len(erasure.steps_of(all_sources())))


@router.post("/users/{user_id}/erasure-plan", operation_id="plan_erasure", response_model=list[ErasureChangeRead])
def plan_erasure(user_id: IdPath, data: ErasureCreate, session: SessionDep, settings: SettingsDep,
                 runtime: RuntimeDep, actor: CurrentPrincipal) -> list[ErasureChangeRead]:
    """The dry run: what erasing the user would change, per source (nothing is written)."""
    context = erasure.ErasureContext(settings=settings, embedder=runtime.embedder, sources=all_sources())
    changes = erasure.plan(session, context, actor=actor, person=find_person(session, reference=str(user_id)),
                           identifiers=data.identifiers)
    return [ErasureChangeRead.of(change) for change in changes]


@router.post("/users/{user_id}/erasures", operation_id="request_erasure", response_model=ErasureRead,
             status_code=201)
def request_erasure(user_id: IdPath, data: ErasureCreate, session: SessionDep, actor: CurrentPrincipal
                    ) -> ErasureRead:
    """Request the user's erasure; another administrator must approve it."""
    person = find_person(session, reference=str(user_id))
    return _read(erasure.request(session, actor=actor, person=person, identifiers=data.identifiers))


@router.get("/users/{user_id}/erasures", operation_id="list_erasures", response_model=list[ErasureRead])
def list_erasures(user_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> list[ErasureRead]:
    """The user's erasure requests, newest first, with how far each got."""
    return [_read(request) for request in erasure.of_user(session, actor=actor, user_id=user_id)]


@router.post("/erasures/{erasure_id}/cancel", operation_id="cancel_erasure", response_model=ErasureRead)
def cancel_erasure(erasure_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> ErasureRead:
    """Withdraw an erasure request that nobody approved yet."""
    return _read(erasure.cancel(session, actor=actor, erasure_id=erasure_id))


@router.post("/erasures/{erasure_id}/approve", operation_id="approve_erasure", response_model=ErasureRead)
def approve_erasure(erasure_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> ErasureRead:
    """The second administrator's approval (not the requester's); the `privacy.erase` job then runs it."""
    return _read(erasure.approve(session, actor=actor, erasure_id=erasure_id))
