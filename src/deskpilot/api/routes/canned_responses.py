"""/api/v1/canned-responses: reply texts with placeholders; leads and administrators manage them, staff use them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from deskpilot.api.deps import CurrentPrincipal, IdPath, SessionDep
from deskpilot.tickets import canned
from deskpilot.tickets.canned_schemas import CannedResponseRead, CannedResponseWrite, FilledResponseRead

router = APIRouter(prefix="/api/v1/canned-responses", tags=["canned responses"])


@router.get("", operation_id="list_canned_responses")
def list_responses(session: SessionDep, actor: CurrentPrincipal,
                   queue_id: Annotated[int | None, Query(ge=1, le=2_147_483_647, description=
                                                         "only those offered in this queue (its own and desk-wide)")]
                   = None) -> list[CannedResponseRead]:
    return [CannedResponseRead.model_validate(r) for r in canned.get_all(session, actor=actor, queue_id=queue_id)]


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="create_canned_response")
def create_response(data: CannedResponseWrite, session: SessionDep, actor: CurrentPrincipal) -> CannedResponseRead:
    """A new canned response (leads and administrators); unknown placeholders are refused with the known ones."""
    return CannedResponseRead.model_validate(canned.create(session, actor=actor, data=data))


@router.get("/{response_id}", operation_id="get_canned_response")
def get_response(response_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> CannedResponseRead:
    return CannedResponseRead.model_validate(canned.get(session, actor=actor, response_id=response_id))


@router.put("/{response_id}", operation_id="replace_canned_response")
def replace_response(response_id: IdPath, data: CannedResponseWrite, session: SessionDep,
                     actor: CurrentPrincipal) -> CannedResponseRead:
    return CannedResponseRead.model_validate(canned.update(session, actor=actor, response_id=response_id, data=data))


@router.delete("/{response_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="delete_canned_response")
def delete_response(response_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> Response:
    canned.delete(session, actor=actor, response_id=response_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{response_id}/filled", operation_id="fill_canned_response")
def fill_response(response_id: IdPath, session: SessionDep, actor: CurrentPrincipal,
                  ticket_id: Annotated[int, Query(ge=1, le=2_147_483_647)]) -> FilledResponseRead:
    """The text with its placeholders filled in for a ticket the caller works on, to send as a reply."""
    text = canned.fill(session, actor=actor, response_id=response_id, ticket_id=ticket_id)
    return FilledResponseRead(canned_response_id=response_id, ticket_id=ticket_id, text=text)
