"""The requester portal: My tickets, New request / Talk to a human, a ticket's page, replies, reopen/close."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from deskpilot import intake
from deskpilot.api.deps import IdPath, SessionDep, ai_runtime
from deskpilot.clock import utcnow
from deskpilot.errors import Conflict, InvalidInput, PermissionDenied
from deskpilot.tickets import attachments
from deskpilot.tickets import service as tickets
from deskpilot.tickets.access import can_work
from deskpilot.tickets.enums import TicketStatus
from deskpilot.web import wording
from deskpilot.web.forms import ReplyForm, RequestForm
from deskpilot.web.navigation import HUMAN_HELP_PATH, landing_path
from deskpilot.web.templating import render
from deskpilot.web.ticket_views import Pagination, message_views, ticket_view
from deskpilot.web.viewer import FormViewer, Viewer, ViewerDep

router = APIRouter(include_in_schema=False)

PER_PAGE = 20
PageNumber = Annotated[int, Query(ge=1, le=100_000)]
FormText = Annotated[str, Form()]


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("/")
def home(viewer: ViewerDep) -> RedirectResponse:
    return _see_other(landing_path(viewer))


@router.get("/tickets")
def my_tickets(request: Request, session: SessionDep, viewer: ViewerDep, page: PageNumber = 1) -> Response:
    """The tickets the viewer asked for, newest first, with where each SLA stands."""
    rows, total = tickets.get_all(session, actor=viewer.principal, requester_id=viewer.user_id,
                                  offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    now = utcnow()
    return render(request, "portal/my_tickets.html", {
        "tickets": [ticket_view(session, t, viewer=viewer, now=now) for t in rows],
        "pagination": Pagination.of(page=page, total=total, per_page=PER_PAGE, path="/tickets"),
    }, viewer=viewer)


def _new_request_page(request: Request, viewer: Viewer, form: RequestForm, *, human: bool,
                      status_code: int = 200) -> Response:
    if not viewer.can_request:
        raise PermissionDenied(f"Your role ({viewer.role_label}) cannot open requests.")
    return render(request, "portal/new_request.html", {
        "form": form, "human": human, "impact_choices": wording.IMPACT_CHOICES,
        "urgency_choices": wording.URGENCY_CHOICES,
    }, viewer=viewer, status_code=status_code)


@router.get("/tickets/new")
def new_request(request: Request, viewer: ViewerDep) -> Response:
    return _new_request_page(request, viewer, RequestForm(), human=False)


@router.get(HUMAN_HELP_PATH)
def talk_to_a_human(request: Request, viewer: ViewerDep) -> Response:
    return _new_request_page(request, viewer, RequestForm(), human=True)


@router.post("/tickets/new")
def create_request(request: Request, session: SessionDep, viewer: FormViewer, subject: FormText = "",
                   description: FormText = "", impact: FormText = "", urgency: FormText = "",
                   human: FormText = "") -> Response:
    """Open the ticket and show its page, or the form again with what to fix (422)."""
    form = RequestForm(subject=subject, description=description, impact=impact, urgency=urgency)
    data = form.to_ticket()
    if data is None:
        return _new_request_page(request, viewer, form, human=bool(human), status_code=422)
    runtime = ai_runtime(request)
    ticket, _triage = intake.open_ticket(session, actor=viewer.principal, data=data, settings=runtime.settings,
                                         triage=runtime.triage)
    return _see_other(f"/tickets/{ticket.id}?created=1")


def _ticket_page(request: Request, session: Session, viewer: Viewer, ticket_id: int, *,
                 reply: ReplyForm | None = None, problem: str | None = None, created: bool = False,
                 status_code: int = 200) -> Response:
    ticket = tickets.get(session, actor=viewer.principal, ticket_id=ticket_id)
    now = utcnow()
    view = ticket_view(session, ticket, viewer=viewer, now=now)
    own = ticket.requester_id == viewer.user_id
    context: dict[str, Any] = {
        "ticket": view, "own": own, "reply": reply or ReplyForm(), "problem": problem,
        "promise": wording.sla_promise(view.clocks, now) if created else None, "created": created,
        "can_reply": ticket.status not in (TicketStatus.CLOSED, TicketStatus.MERGED)
                     and (own or can_work(session, viewer.principal, ticket)),
        "can_confirm": own and ticket.status is TicketStatus.RESOLVED,
        "files": attachments.visible(session, actor=viewer.principal, ticket_id=ticket_id),
        **_thread_context(session, viewer, ticket_id, ticket.requester_id),
    }
    section = "/tickets" if own or not viewer.is_staff else "/queue"
    return render(request, "portal/ticket.html", context, viewer=viewer, status_code=status_code, section=section)


def _thread_context(session: Session, viewer: Viewer, ticket_id: int, requester_id: int) -> dict[str, Any]:
    messages = tickets.get_messages(session, actor=viewer.principal, ticket_id=ticket_id)
    return {"ticket_id": ticket_id,
            "messages": message_views(session, messages, viewer=viewer, requester_id=requester_id)}


@router.get("/tickets/{ticket_id}")
def ticket_page(request: Request, ticket_id: IdPath, session: SessionDep, viewer: ViewerDep,
                created: bool = False) -> Response:
    """A ticket's page: facts, SLA, the conversation (internal notes only for staff) and the actions."""
    return _ticket_page(request, session, viewer, ticket_id, created=created)


@router.get("/tickets/{ticket_id}/thread")
def ticket_thread(request: Request, ticket_id: IdPath, session: SessionDep, viewer: ViewerDep) -> Response:
    """The conversation alone, for htmx to refresh in place."""
    ticket = tickets.get(session, actor=viewer.principal, ticket_id=ticket_id)
    return render(request, "portal/_thread.html",
                  _thread_context(session, viewer, ticket_id, ticket.requester_id), viewer=viewer)


@router.post("/tickets/{ticket_id}/reply")
def reply(request: Request, ticket_id: IdPath, session: SessionDep, viewer: FormViewer,
          body: FormText = "") -> Response:
    """Add a public reply; a closed ticket or an invalid reply shows the page again with the reason."""
    form = ReplyForm(body=body)
    data = form.to_message()
    if data is None:
        return _ticket_page(request, session, viewer, ticket_id, reply=form, status_code=422)
    try:
        message = tickets.add_message(session, actor=viewer.principal, ticket_id=ticket_id, data=data)
    except InvalidInput as exc:
        form.error = exc.message
        return _ticket_page(request, session, viewer, ticket_id, reply=form, status_code=422)
    return _see_other(f"/tickets/{ticket_id}#message-{message.id}")


_CONFIRM_ACTIONS = {"reopen": TicketStatus.OPEN, "close": TicketStatus.CLOSED}


@router.post("/tickets/{ticket_id}/status")
def confirm_resolution(request: Request, ticket_id: IdPath, session: SessionDep, viewer: FormViewer,
                       action: FormText = "", comment: FormText = "") -> Response:
    """The requester closes a resolved ticket ("it is fixed") or reopens it, optionally saying why."""
    target = _CONFIRM_ACTIONS.get(action)
    if target is None:
        return _ticket_page(request, session, viewer, ticket_id, status_code=422,
                            problem="Choose whether the problem is fixed (close) or not (reopen).")
    ticket = tickets.get(session, actor=viewer.principal, ticket_id=ticket_id)
    if ticket.requester_id == viewer.user_id and ticket.status is not TicketStatus.RESOLVED:
        status = wording.status_label(ticket.status, for_requester=True).lower()
        return _ticket_page(request, session, viewer, ticket_id, status_code=409,
                            problem=f"DP-{ticket_id} is {status}, so there is nothing to confirm. Reply below, or "
                                    "open a new request if this one is closed.")
    note = ReplyForm(body=comment)
    data = note.to_message() if comment.strip() else None
    if comment.strip() and data is None:
        return _ticket_page(request, session, viewer, ticket_id, status_code=422, problem=note.error)
    try:
        # The note goes first: a closed ticket takes no more messages.
        if data is not None:
            tickets.add_message(session, actor=viewer.principal, ticket_id=ticket_id, data=data)
        tickets.change_status(session, actor=viewer.principal, ticket_id=ticket_id, target=target)
    except (Conflict, InvalidInput) as exc:
        session.rollback()
        return _ticket_page(request, session, viewer, ticket_id, status_code=409, problem=exc.message)
    return _see_other(f"/tickets/{ticket_id}")
