"""The requester's chat with the assistant: plain forms that work without JavaScript, htmx polling for live
updates, "Talk to a human" on the page and by typing it, sources one click away, CSAT at the end."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from deskpilot.api.deps import IdPath, SessionDep, chat_assistant
from deskpilot.channels.webchat.chat_views import STATE_LABELS, message_views
from deskpilot.conversations import attachments, flow, password_help, service
from deskpilot.conversations.diagnostics import client_info
from deskpilot.conversations.models import Conversation
from deskpilot.conversations.state import ConversationState
from deskpilot.conversations.transactions import retried
from deskpilot.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RateLimited
from deskpilot.kb.service import approved_documents
from deskpilot.tickets.models import Ticket
from deskpilot.web.templating import render
from deskpilot.web.viewer import FormViewer, Viewer, ViewerDep

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]
S = ConversationState
POLL_SECONDS = 3


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _own(session: Session, viewer: Viewer, conversation_id: int, *, lock: bool = False) -> Conversation:
    conversation = service.get(session, actor=viewer.principal, conversation_id=conversation_id, lock=lock)
    if conversation.requester_id != viewer.user_id:
        raise NotFound(f"No conversation #{conversation_id} of yours. Agents answer chats under Live chats.")
    return conversation


def chat_context(session: Session, viewer: Viewer, conversation: Conversation) -> dict[str, Any]:
    ticket = session.get(Ticket, conversation.ticket_id) if conversation.ticket_id else None
    return {"conversation": conversation, "state_label": STATE_LABELS[conversation.state], "ticket": ticket,
            "messages": message_views(session, conversation, viewer_id=viewer.user_id), "poll": POLL_SECONDS,
            "files": attachments.of(session, actor=viewer.principal, conversation_id=conversation.id)}


def _chat_page(request: Request, session: Session, viewer: Viewer, conversation: Conversation, *,
               draft: str = "", error: str | None = None, password_error: str | None = None,
               status_code: int = 200) -> Response:
    context = chat_context(session, viewer, conversation) | {
        "draft": draft, "error": error, "password_error": password_error, "client_key": secrets.token_urlsafe(16),
        "quick_replies": _quick_replies(conversation), "password_field": password_help.awaiting_password(conversation),
        "password_rules": request.app.state.settings}
    return render(request, "chat/conversation.html", context, viewer=viewer, status_code=status_code,
                  section="/chat")


def _quick_replies(conversation: Conversation) -> list[str]:
    state = conversation.state
    if state is S.AWAITING_CONFIRMATION:
        return ["Yes, that solved it", "No, it did not help"]
    if state is S.TROUBLESHOOTING:
        return ["Yes, that fixed it", "Still not working"]
    if state is S.CLARIFYING:
        return list(conversation.facts.get("clarify", {}).get("options", {}))
    if state is S.OFFERING_TICKET:
        can_continue = conversation.facts.get("ticket_offer", {}).get("can_continue")
        return ["Yes, open a ticket", "Continue with the next step" if can_continue else "No, thanks"]
    if state is S.SELF_SERVICE and conversation.facts.get("self_service", {}).get("stage") == "offered":
        return ["Yes, send the code", "No, thanks"]
    return []


@router.get("/chat")
def start_page(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    """Ask the assistant: the scope of what it can do, the question box, and the viewer's recent chats."""
    return _start_page(request, session, viewer)


def _start_page(request: Request, session: Session, viewer: Viewer, *, draft: str = "", error: str | None = None,
                status_code: int = 200) -> Response:
    if not viewer.can_request:
        raise PermissionDenied(f"Your role ({viewer.role_label}) cannot open conversations.")
    recent = service.get_all(session, actor=viewer.principal, mine=True, limit=10)
    return render(request, "chat/start.html", {"recent": recent, "labels": STATE_LABELS, "draft": draft,
                                                "error": error, "scope": service.SCOPE_STATEMENT},
                  viewer=viewer, status_code=status_code)


@router.post("/chat")
def start(request: Request, session: SessionDep, viewer: FormViewer,
          message: FormText = "") -> Response:
    """Start a conversation with its first question; the answer is on the conversation's page."""
    try:
        text = service.check_body(message)
    except InvalidInput as exc:
        return _start_page(request, session, viewer, draft=message[:service.MAX_MESSAGE], error=exc.message,
                           status_code=422)
    client = client_info(request.headers.get("user-agent"))
    try:
        conversation_id = retried(session, lambda db: flow.start(
            db, actor=viewer.principal, body=text, assistant=chat_assistant(request, db), client=client)[0].id)
    except RateLimited as exc:
        session.rollback()
        return _start_page(request, session, viewer, draft=text, error=exc.message, status_code=429)
    return _see_other(f"/chat/{conversation_id}#latest")


@router.get("/chat/{conversation_id}")
def conversation_page(request: Request, conversation_id: IdPath, session: SessionDep, viewer: ViewerDep) -> Response:
    """The conversation: every message (machine ones labelled AI-assisted, with sources) and what to do next."""
    return _chat_page(request, session, viewer, _own(session, viewer, conversation_id))


@router.get("/chat/{conversation_id}/transcript")
def transcript(request: Request, conversation_id: IdPath, session: SessionDep, viewer: ViewerDep,
               state: Annotated[str, Query(max_length=40)] = "") -> Response:
    """The messages alone, for htmx to poll; a changed state reloads the page so the actions match it."""
    conversation = service.get(session, actor=viewer.principal, conversation_id=conversation_id)
    if state and state != conversation.state:
        return Response(status_code=204, headers={"HX-Refresh": "true"})
    return render(request, "chat/_transcript.html", chat_context(session, viewer, conversation), viewer=viewer)


@router.post("/chat/{conversation_id}/messages")
def send(request: Request, conversation_id: IdPath, session: SessionDep, viewer: FormViewer,
         body: FormText = "", client_key: FormText = "") -> Response:
    """Send a message (a quick reply is one too); a repeated submit with the same form key is stored once."""
    _own(session, viewer, conversation_id)
    try:
        retried(session, lambda db: flow.post(db, actor=viewer.principal, conversation_id=conversation_id, body=body,
                                              assistant=chat_assistant(request, db),
                                              idempotency_key=client_key[:80] or None))
    except (InvalidInput, Conflict, RateLimited) as exc:
        session.rollback()
        conversation = _own(session, viewer, conversation_id)
        status = exc.status_code
        return _chat_page(request, session, viewer, conversation, draft=body[:service.MAX_MESSAGE],
                          error=exc.message, status_code=status)
    return _see_other(f"/chat/{conversation_id}#latest")


@router.post("/chat/{conversation_id}/password")
def set_password(request: Request, conversation_id: IdPath, session: SessionDep, viewer: FormViewer,
                 new_password: FormText = "", confirm_password: FormText = "") -> Response:
    """Self-service reset: the new password from its own field (never a chat message) runs the approved runbook."""
    _own(session, viewer, conversation_id)
    try:
        if new_password != confirm_password:
            raise InvalidInput("The two passwords are not the same; type the new password twice.")
        password_help.set_password(session, actor=viewer.principal, conversation_id=conversation_id,
                                   new_password=new_password, tools=chat_assistant(request, session).tools())
    except InvalidInput as exc:
        session.rollback()
        return _chat_page(request, session, viewer, _own(session, viewer, conversation_id),
                          password_error=exc.message, status_code=422)
    return _see_other(f"/chat/{conversation_id}#latest")


@router.post("/chat/{conversation_id}/handoff")
def hand_off(request: Request, conversation_id: IdPath, session: SessionDep, viewer: FormViewer) -> Response:
    """"Talk to a human" from the conversation: a ticket with the context, and a person joins."""
    _own(session, viewer, conversation_id)
    retried(session, lambda db: flow.hand_off(db, actor=viewer.principal, conversation_id=conversation_id,
                                              assistant=chat_assistant(request, db)))
    return _see_other(f"/chat/{conversation_id}#latest")


@router.post("/chat/{conversation_id}/close")
def close(conversation_id: IdPath, session: SessionDep, viewer: FormViewer) -> Response:
    _own(session, viewer, conversation_id)
    service.close(session, actor=viewer.principal, conversation_id=conversation_id)
    return _see_other(f"/chat/{conversation_id}#rate")


@router.post("/chat/{conversation_id}/csat")
def rate(request: Request, conversation_id: IdPath, session: SessionDep, viewer: FormViewer, score: FormText = "",
         comment: FormText = "") -> Response:
    """Store the rating, or show the page again saying what to fix."""
    conversation = _own(session, viewer, conversation_id)
    try:
        service.rate(session, actor=viewer.principal, conversation_id=conversation_id,
                     score=int(score) if score.isdigit() else 0, comment=comment)
    except (InvalidInput, Conflict) as exc:
        return _chat_page(request, session, viewer, conversation, error=exc.message, status_code=422)
    return _see_other(f"/chat/{conversation_id}#rate")


@router.get("/chat/sources/{slug}")
def source(request: Request, slug: Annotated[str, Path(max_length=120, pattern=r"^[a-z0-9][a-z0-9-]*$")],
           session: SessionDep, viewer: ViewerDep, version: Annotated[int, Query(ge=1, le=1_000_000)] = 1) -> Response:
    """A cited article as approved now; a newer approved version than the cited one is pointed out."""
    found = approved_documents(session, slugs=[slug])
    if not found:
        raise NotFound(f"No approved article {slug!r}. It may have been retired since it was cited.")
    return render(request, "chat/source.html", {"article": found[0], "cited_version": version}, viewer=viewer,
                  section="/chat")
