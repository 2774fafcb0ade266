"""Where articles come from: questions nobody could answer (clustered) and resolved tickets, each one click
away from a new article (the editor, prefilled) or a draft in review (kb/from_ticket.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from deskpilot.api.deps import IdPath, RuntimeDep, SessionDep
from deskpilot.errors import DomainError
from deskpilot.kb.answering import gap_clusters
from deskpilot.kb.from_ticket import draft_from_ticket, drafted_ticket_ids
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import TicketStatus
from deskpilot.tickets.models import Ticket
from deskpilot.web.kb_forms import KB_PATH, KbFormViewer, KbViewer, can_edit
from deskpilot.web.templating import render
from deskpilot.web.viewer import Viewer

router = APIRouter(include_in_schema=False)
GAPS = KB_PATH + "/gaps"
FROM_TICKETS = KB_PATH + "/from-tickets"
RECENT_TICKETS = 30
QUESTIONS_SHOWN = 5


@router.get(GAPS)
def gaps(request: Request, session: SessionDep, viewer: KbViewer, ai: RuntimeDep) -> Response:
    """The questions the assistant abstained on, grouped by meaning, biggest group first."""
    clusters = gap_clusters(session, actor=viewer.principal, embedder=ai.embedder)
    return render(request, "kb/gaps.html", {"clusters": clusters, "can_edit": can_edit(viewer),
                                            "questions_shown": QUESTIONS_SHOWN}, viewer=viewer, section=KB_PATH)


def _resolved(session: Session, viewer: Viewer) -> list[Ticket]:
    rows: list[Ticket] = []
    for status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        found, _ = tickets.get_all(session, actor=viewer.principal, status=status, limit=RECENT_TICKETS)
        rows.extend(found)
    rows.sort(key=lambda t: t.id, reverse=True)
    return rows[:RECENT_TICKETS]


def _from_tickets_page(request: Request, session: Session, viewer: Viewer, *, problem: str | None = None,
                       status_code: int = 200) -> Response:
    rows = _resolved(session, viewer)
    return render(request, "kb/from_tickets.html", {
        "tickets": rows, "drafted": drafted_ticket_ids(session, ticket_ids=[t.id for t in rows]),
        "can_edit": can_edit(viewer), "problem": problem, "notice": None,
    }, viewer=viewer, section=KB_PATH, status_code=status_code)


@router.get(FROM_TICKETS)
def from_tickets(request: Request, session: SessionDep, viewer: KbViewer) -> Response:
    """Recently resolved tickets, each with a button that drafts an article from its thread."""
    return _from_tickets_page(request, session, viewer)


@router.post(FROM_TICKETS + "/{ticket_id}")
def draft(ticket_id: IdPath, request: Request, session: SessionDep, viewer: KbFormViewer) -> Response:
    """Draft an article from the ticket (personal data removed) and send it for review."""
    try:
        version = draft_from_ticket(session, actor=viewer.principal, ticket_id=ticket_id)
    except DomainError as exc:
        session.rollback()
        return _from_tickets_page(request, session, viewer, problem=exc.message, status_code=exc.status_code)
    return RedirectResponse(f"{KB_PATH}/{version.article_id}?done=drafted", status_code=303)
