"""The agent console's ticket view: the thread, the AI panel, and the actions (suggestion feedback, AI drafts
sent with the AI-assisted marker, internal notes, assignment, merge, status)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot import intake
from deskpilot.api.deps import IdPath, SessionDep, ai_runtime, kb_index, settings_in_force
from deskpilot.audit import decisions
from deskpilot.audit.decisions_models import AiFeedback
from deskpilot.audit.enums import FeedbackAction
from deskpilot.channels.webchat.chat_views import citation_href
from deskpilot.clock import utcnow
from deskpilot.connectors.sync_view import sync_state
from deskpilot.conversations import ticket_updates
from deskpilot.errors import InvalidInput, NotFound
from deskpilot.kb import drafts
from deskpilot.tickets import attachments, canned
from deskpilot.tickets import service as tickets
from deskpilot.tickets.access import can_work
from deskpilot.tickets.enums import Channel, MessageKind, Priority, TicketStatus
from deskpilot.tickets.models import Queue, Ticket
from deskpilot.tickets.schemas import MessageCreate, TicketUpdate
from deskpilot.triage.service import retriage_ticket
from deskpilot.web import ai_panel
from deskpilot.web.forms import MAX_ID, TicketFieldsForm, normalise
from deskpilot.web.templating import render
from deskpilot.web.ticket_views import assignable_staff, message_views, requester_view, ticket_view
from deskpilot.web.viewer import FormViewer, StaffViewer, Viewer

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=100_000)]
Reason = Annotated[str, Form(max_length=500)]
Choice = Annotated[str, Form(max_length=20)]


def _back(ticket_id: int, suffix: str = "") -> RedirectResponse:
    return RedirectResponse(f"/console/tickets/{ticket_id}{suffix}", status_code=303)


@router.get("/console/tickets/{ticket_id}")
def console_ticket(request: Request, ticket_id: IdPath, session: SessionDep, viewer: StaffViewer,
                   draft: int | None = None) -> Response:
    """The ticket with its AI panel; `draft` shows a recorded draft decision in the reply box."""
    return ticket_page(request, session, viewer, ticket_id=ticket_id, draft=draft)


def ticket_page(request: Request, session: Session, viewer: Viewer, *, ticket_id: int, draft: int | None = None,
                reply_text: str | None = None) -> Response:
    """The console's ticket page; `reply_text` is what the reply box holds (default: the draft's text, or empty)."""
    settings = settings_in_force(request, session)
    ticket = tickets.get(session, actor=viewer.principal, ticket_id=ticket_id)
    messages = tickets.get_messages(session, actor=viewer.principal, ticket_id=ticket_id)
    index = kb_index(request, session)
    shown = drafts.get(session, actor=viewer.principal, ticket_id=ticket_id, draft_id=draft) if draft else None
    panel = ai_panel.triage_panel(session, actor=viewer.principal, settings=settings, ticket=ticket)
    staff = assignable_staff(session)
    return render(request, "console/ticket.html", {
        "ticket": ticket_view(session, ticket, viewer=viewer, now=utcnow()), "raw": ticket,
        "messages": message_views(session, messages, viewer=viewer, requester_id=ticket.requester_id),
        "ai_marked": {m.id for m in messages if m.ai_assisted},
        "summary": ai_panel.summary(ticket, messages),
        "triage": panel, "rejected": _rejected(session, panel),
        "requester": requester_view(session, viewer=viewer, requester_id=ticket.requester_id),
        "priorities": list(Priority),
        "queues": session.execute(select(Queue.id, Queue.name).order_by(Queue.name)).all(),
        "categories": session.scalars(select(Ticket.category).where(Ticket.category.is_not(None)).distinct()
                                      .order_by(Ticket.category)).all(),
        "articles": [(citation, title, citation_href(citation))
                     for citation, title, _ in ai_panel.kb_suggestions(index, ticket)],
        "draft": shown, "staff": staff,
        "reply_text": reply_text if reply_text is not None else str(shown.outputs["text"]) if shown else "",
        "canned": canned.for_ticket(session, actor=viewer.principal, ticket=ticket)
        if can_work(session, viewer.principal, ticket) else [],
        "statuses": [s for s in TicketStatus if s is not TicketStatus.MERGED],
        "can_work": can_work(session, viewer.principal, ticket),
        "files": attachments.visible(session, actor=viewer.principal, ticket_id=ticket_id),
        "sync": sync_state(session, actor=viewer.principal, ticket_id=ticket_id),
    }, viewer=viewer, section="/console")


def _rejected(session: Session, panel: ai_panel.TriagePanel | None) -> dict[str, AiFeedback]:
    """The triage fields whose latest feedback is a rejection, so the page shows it was rejected and why."""
    if panel is None:
        return {}
    latest = {feedback.field: feedback for feedback in decisions.get_feedback(session, decision_id=panel.decision_id)}
    return {field: feedback for field, feedback in latest.items() if feedback.action is FeedbackAction.REJECTED}


@router.post("/console/tickets/{ticket_id}/fields")
def change_fields(ticket_id: IdPath, session: SessionDep, viewer: FormViewer, priority: Choice = "",
                  category: Annotated[str, Form(max_length=200)] = "", queue: Choice = "") -> Response:
    """Change priority, category and queue inline; a change that overrides the AI's suggestion is AI feedback."""
    ticket = tickets.get(session, actor=viewer.principal, ticket_id=ticket_id)
    data = TicketFieldsForm(priority=priority, category=category, queue=queue).changes(ticket)
    if data.model_fields_set:
        intake.update_ticket(session, actor=viewer.principal, ticket_id=ticket_id, data=data)
    try:
        tickets.get(session, actor=viewer.principal, ticket_id=ticket_id)
    except NotFound:
        # Routed to another team's queue, the ticket left the agent's reach: back to their queue, not a 404.
        return RedirectResponse("/console", status_code=303)
    return _back(ticket_id, "#details")


@router.post("/console/tickets/{ticket_id}/suggestion")
def judge_suggestion(request: Request, ticket_id: IdPath, session: SessionDep, viewer: FormViewer,
                     field: Annotated[str, Form()] = "", action: Annotated[str, Form()] = "",
                     reason: Reason = "") -> Response:
    """Accept a triage suggestion (apply it) or reject it with a reason; both are stored as feedback."""
    panel = ai_panel.triage_panel(session, actor=viewer.principal, settings=settings_in_force(request, session),
                                  ticket=tickets.get(session, actor=viewer.principal, ticket_id=ticket_id))
    suggestion = next((s for s in panel.suggestions if s.field == field), None) if panel else None
    if suggestion is None or suggestion.value is None:
        raise NotFound(f"No {field or 'such'} suggestion on DP-{ticket_id}.")
    if action == "reject":
        if not reason.strip():
            raise InvalidInput("Say why the suggestion is wrong; the reason teaches the next model.")
        intake.triage_feedback(session, actor=viewer.principal, ticket_id=ticket_id, field=field,
                               action=FeedbackAction.REJECTED, reason=reason.strip())
    elif suggestion.applied:
        intake.triage_feedback(session, actor=viewer.principal, ticket_id=ticket_id, field=field,
                               action=FeedbackAction.ACCEPTED)
    else:
        value: object = {"queue": lambda v: int(v), "priority": Priority}.get(field, str)(suggestion.value)
        column = intake.TRIAGED_FIELDS[field]
        intake.update_ticket(session, actor=viewer.principal, ticket_id=ticket_id,
                             data=TicketUpdate.model_validate({column: value}))
    return _back(ticket_id, f"#suggest-{field}")


@router.post("/console/tickets/{ticket_id}/triage")
def run_triage(request: Request, ticket_id: IdPath, session: SessionDep, viewer: FormViewer) -> Response:
    """Triage the ticket (again); suggestions only, nothing on the ticket changes."""
    retriage_ticket(session, actor=viewer.principal, engine=ai_runtime(request).triage, ticket_id=ticket_id,
                    settings=settings_in_force(request, session))
    return _back(ticket_id)


@router.post("/console/tickets/{ticket_id}/draft")
def new_draft(request: Request, ticket_id: IdPath, session: SessionDep, viewer: FormViewer) -> Response:
    """A grounded draft reply with citations, recorded as an AI decision, shown in the reply box."""
    draft = drafts.create(session, actor=viewer.principal, settings=settings_in_force(request, session),
                          index=kb_index(request, session), ticket_id=ticket_id)
    return _back(ticket_id, f"?draft={draft.id}#reply")


@router.post("/console/tickets/{ticket_id}/draft/reject")
def reject_draft(ticket_id: IdPath, session: SessionDep, viewer: FormViewer,
                 draft_id: Annotated[int, Form(ge=1)], reason: Reason = "") -> Response:
    """Discard a draft, saying why."""
    drafts.reject(session, actor=viewer.principal, ticket_id=ticket_id, draft_id=draft_id, reason=reason)
    return _back(ticket_id)


@router.post("/console/tickets/{ticket_id}/reply")
def send_reply(ticket_id: IdPath, session: SessionDep, viewer: FormViewer, body: Text = "",
               draft_id: Annotated[int | None, Form()] = None) -> Response:
    """A public reply; one written from an AI draft carries the AI-assisted marker and records accept/edit."""
    text = normalise(body).strip()
    if not text:
        raise InvalidInput("Write the reply before sending it.")
    if draft_id is not None:
        message = drafts.send(session, actor=viewer.principal, ticket_id=ticket_id, draft_id=draft_id, text=text)
        ticket_updates.relay(session, ticket_id=ticket_id)
        return _back(ticket_id, f"#message-{message.id}")
    ticket = tickets.get(session, actor=viewer.principal, ticket_id=ticket_id)
    message = tickets.add_message(session, actor=viewer.principal, ticket_id=ticket_id, data=MessageCreate(
        body=text, kind=MessageKind.PUBLIC_REPLY, channel=Channel(ticket.channel)))
    ticket_updates.relay(session, ticket_id=ticket_id)
    return _back(ticket_id, f"#message-{message.id}")


@router.post("/console/tickets/{ticket_id}/reply/canned")
def insert_canned(request: Request, ticket_id: IdPath, session: SessionDep, viewer: FormViewer, body: Text = "",
                  canned_id: Annotated[int, Form(ge=1, le=MAX_ID)] = 0,
                  draft_id: Annotated[int | None, Form()] = None) -> Response:
    """Insert a canned response, filled in for this ticket, after what the reply box holds. htmx swaps the reply
    box alone; without JavaScript the page comes back with the box filled and nothing typed lost."""
    if not canned_id:
        raise InvalidInput("Choose a canned response to insert.")
    text = canned.fill(session, actor=viewer.principal, response_id=canned_id, ticket_id=ticket_id)
    typed = normalise(body).rstrip()
    reply_text = f"{typed}\n\n{text}" if typed else text
    if request.headers.get("HX-Request") == "true":
        return render(request, "console/_reply_body.html", {"reply_text": reply_text}, viewer=viewer)
    return ticket_page(request, session, viewer, ticket_id=ticket_id, draft=draft_id, reply_text=reply_text)


@router.post("/console/tickets/{ticket_id}/note")
def add_note(ticket_id: IdPath, session: SessionDep, viewer: FormViewer, body: Text = "") -> Response:
    """An internal note (never shown to the requester)."""
    if not body.strip():
        raise InvalidInput("Write the note before saving it.")
    tickets.add_message(session, actor=viewer.principal, ticket_id=ticket_id, data=MessageCreate(
        body=normalise(body), kind=MessageKind.INTERNAL_NOTE, channel=Channel.PORTAL))
    return _back(ticket_id)


@router.post("/console/tickets/{ticket_id}/assign")
def assign(ticket_id: IdPath, session: SessionDep, viewer: FormViewer,
           assignee: Annotated[str, Form(max_length=20)] = "") -> Response:
    """Assign to a staff member, to me, or nobody."""
    target = viewer.user_id if assignee == "me" else (int(assignee) if assignee.isdigit() else None)
    tickets.assign(session, actor=viewer.principal, ticket_id=ticket_id, assignee_id=target)
    return _back(ticket_id)


@router.post("/console/tickets/{ticket_id}/merge")
def merge(ticket_id: IdPath, session: SessionDep, viewer: FormViewer,
          into: Annotated[str, Form(max_length=20)] = "") -> Response:
    """Merge this duplicate into another ticket (DP-123 or 123)."""
    number = into.strip().upper().removeprefix("DP-")
    if not number.isdigit():
        raise InvalidInput("Give the ticket to merge into as DP-123 or 123.")
    target = tickets.merge(session, actor=viewer.principal, ticket_id=ticket_id, into_ticket_id=int(number))
    return _back(target.id)


@router.post("/console/tickets/{ticket_id}/status")
def change_status(ticket_id: IdPath, session: SessionDep, viewer: FormViewer,
                  status: Annotated[TicketStatus, Form()]) -> Response:
    tickets.change_status(session, actor=viewer.principal, ticket_id=ticket_id, target=status)
    ticket_updates.relay(session, ticket_id=ticket_id)
    return _back(ticket_id)
