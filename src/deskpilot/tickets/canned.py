"""Canned responses: reply texts leads and administrators keep (desk-wide or per queue) and agents insert into a
reply, with placeholders filled in for the ticket. Filling is a single pass of plain text substitution from a
fixed list of names, so nothing in a text or a value is ever evaluated, and a value that looks like a placeholder
(a requester named "{{ticket.ref}}") stays as it is."""

from __future__ import annotations

import re

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from deskpilot.accounts.models import User
from deskpilot.accounts.permissions import Permission, has, require
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from deskpilot.tickets.access import get_visible, require_work
from deskpilot.tickets.canned_models import CannedResponse
from deskpilot.tickets.canned_schemas import CannedResponseWrite
from deskpilot.tickets.models import Queue, Ticket

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}")


PLACEHOLDERS = ("requester.name", "requester.first_name", "requester.email", "ticket.ref", "ticket.subject",
                "ticket.status", "ticket.priority", "queue.name", "agent.name")


def _name(user: User | None) -> str:
    return (user.full_name or user.username) if user else ""


def _values(session: Session, ticket: Ticket, actor: Principal) -> dict[str, str]:
    """What each placeholder stands for on `ticket`, inserted by `actor`."""
    requester = session.get(User, ticket.requester_id)
    queue = session.get(Queue, ticket.queue_id) if ticket.queue_id else None
    agent = session.get(User, actor.user_id) if actor.user_id else None
    return {"requester.name": _name(requester), "requester.first_name": (_name(requester).split() or [""])[0],
            "requester.email": requester.email if requester else "", "ticket.ref": f"DP-{ticket.id}",
            "ticket.subject": ticket.subject, "ticket.status": str(ticket.status).replace("_", " "),
            "ticket.priority": str(ticket.priority), "queue.name": queue.name if queue else "the service desk",
            "agent.name": _name(agent)}


def check_placeholders(body: str) -> None:
    """Refuse a text with a placeholder that is not one of PLACEHOLDERS (a typo would reach the requester)."""
    unknown = sorted({match.strip() for match in _PLACEHOLDER.findall(body)} - set(PLACEHOLDERS))
    if unknown:
        known = ", ".join("{{" + name + "}}" for name in PLACEHOLDERS)
        raise InvalidInput(f"Unknown placeholder {', '.join('{{' + u + '}}' for u in unknown)}; the known ones are "
                           f"{known}.")


def _require_reader(actor: Principal) -> None:
    if not (has(actor, Permission.TICKET_WORK) or has(actor, Permission.AUDIT_READ)):
        raise PermissionDenied("Canned responses are for the staff who reply to tickets.")


def get_all(session: Session, *, actor: Principal, queue_id: int | None = None) -> list[CannedResponse]:
    """Every canned response, or those offered in one queue (its own and the desk-wide ones), by title."""
    _require_reader(actor)
    query = select(CannedResponse)
    if queue_id is not None:
        query = query.where(or_(CannedResponse.queue_id.is_(None), CannedResponse.queue_id == queue_id))
    return list(session.scalars(query.order_by(CannedResponse.title, CannedResponse.id)))


def for_ticket(session: Session, *, actor: Principal, ticket: Ticket) -> list[CannedResponse]:
    """The responses offered on `ticket`: the desk-wide ones and its queue's (none but desk-wide if unrouted)."""
    _require_reader(actor)
    query = select(CannedResponse).where(or_(CannedResponse.queue_id.is_(None),
                                             CannedResponse.queue_id == ticket.queue_id))
    return list(session.scalars(query.order_by(CannedResponse.title, CannedResponse.id)))


def get(session: Session, *, actor: Principal, response_id: int) -> CannedResponse:
    _require_reader(actor)
    found = session.get(CannedResponse, response_id)
    if found is None:
        raise NotFound(f"No canned response with id {response_id}.")
    return found


def _check(session: Session, data: CannedResponseWrite, *, response_id: int | None = None) -> None:
    if not data.title.strip() or not data.body.strip():
        raise InvalidInput("A canned response needs a title and a text.")
    check_placeholders(data.body)
    if data.queue_id is not None and session.get(Queue, data.queue_id) is None:
        raise InvalidInput(f"No queue with id {data.queue_id}.")
    scope = (CannedResponse.queue_id == data.queue_id if data.queue_id is not None
             else CannedResponse.queue_id.is_(None))
    clash = select(CannedResponse.id).where(CannedResponse.title == data.title.strip(), scope)
    if response_id is not None:
        clash = clash.where(CannedResponse.id != response_id)
    if session.scalar(clash) is not None:
        raise Conflict(f"A canned response titled {data.title.strip()!r} exists already for this scope.")


def _state(response: CannedResponse) -> dict[str, object]:
    return {"title": response.title, "body": response.body, "queue_id": response.queue_id}


def create(session: Session, *, actor: Principal, data: CannedResponseWrite) -> CannedResponse:
    require(actor, Permission.CANNED_MANAGE)
    _check(session, data)
    response = CannedResponse(title=data.title.strip(), body=data.body, queue_id=data.queue_id,
                              created_by_id=actor.user_id)
    session.add(response)
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="canned_response.create",
                 subject_type="canned_response", subject_id=response.id, after=_state(response))
    return response


def update(session: Session, *, actor: Principal, response_id: int, data: CannedResponseWrite) -> CannedResponse:
    require(actor, Permission.CANNED_MANAGE)
    response = get(session, actor=actor, response_id=response_id)
    _check(session, data, response_id=response_id)
    before = _state(response)
    response.title, response.body, response.queue_id = data.title.strip(), data.body, data.queue_id
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="canned_response.update",
                 subject_type="canned_response", subject_id=response.id, before=before, after=_state(response))
    return response


def delete(session: Session, *, actor: Principal, response_id: int) -> None:
    require(actor, Permission.CANNED_MANAGE)
    response = get(session, actor=actor, response_id=response_id)
    before = _state(response)
    session.delete(response)
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="canned_response.delete",
                 subject_type="canned_response", subject_id=response_id, before=before)


def fill(session: Session, *, actor: Principal, response_id: int, ticket_id: int) -> str:
    """The response's text for a ticket the actor works on, placeholders filled in; a response of another queue
    is refused (it was written for that queue's tickets)."""
    ticket = get_visible(session, actor=actor, ticket_id=ticket_id)
    require_work(session, actor, ticket)
    response = get(session, actor=actor, response_id=response_id)
    if response.queue_id is not None and response.queue_id != ticket.queue_id:
        raise InvalidInput(f"{response.title!r} is for another queue's tickets; choose one offered on DP-{ticket.id}.")
    values = _values(session, ticket, actor)
    return _PLACEHOLDER.sub(lambda match: values[match.group(1).strip()], response.body)
