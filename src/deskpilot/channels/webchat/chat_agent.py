"""Live chats for agents: conversations waiting for a person in their teams' queues, pick one up, reply, hand
it back to the assistant or end it. The requester's ticket (with the assistant's context) is one click away."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from deskpilot.accounts.models import User
from deskpilot.api.deps import IdPath, SessionDep
from deskpilot.channels.webchat.chat import chat_context
from deskpilot.channels.webchat.chat_views import STATE_LABELS
from deskpilot.conversations import service
from deskpilot.conversations.models import Conversation
from deskpilot.conversations.state import ConversationState
from deskpilot.errors import Conflict, InvalidInput, PermissionDenied
from deskpilot.web.templating import render
from deskpilot.web.viewer import FormViewer, StaffViewer, Viewer

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]
ACTIVE = (ConversationState.WAITING_FOR_HUMAN, ConversationState.TICKET_CREATED, ConversationState.WITH_HUMAN)


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def staff_form_viewer(viewer: FormViewer) -> Viewer:
    """The staff viewer of a form POST with a valid CSRF token."""
    if not viewer.is_staff:
        raise PermissionDenied("Live chats are for service desk staff.")
    return viewer


StaffFormViewer = Annotated[Viewer, Depends(staff_form_viewer)]


@router.get("/agent/chats")
def inbox(request: Request, session: SessionDep, viewer: StaffViewer) -> Response:
    """Conversations waiting for a person (oldest wait first) and those the viewer is answering."""
    rows = service.get_all(session, actor=viewer.principal, states=ACTIVE, limit=100)
    waiting = sorted((c for c in rows if c.state is not ConversationState.WITH_HUMAN), key=lambda c: c.updated_at)
    mine = [c for c in rows if c.owner_agent_id == viewer.user_id]
    names = {c.requester_id: _name(session, c.requester_id) for c in rows}
    return render(request, "chat/agent_inbox.html", {"waiting": waiting, "mine": mine, "names": names,
                                                     "labels": STATE_LABELS}, viewer=viewer)


def _name(session: Session, user_id: int) -> str:
    user = session.get(User, user_id)
    return (user.full_name or user.username) if user else f"user #{user_id}"


def _page(request: Request, session: Session, viewer: Viewer, conversation: Conversation, *, draft: str = "",
          error: str | None = None, status_code: int = 200) -> Response:
    context = chat_context(session, viewer, conversation) | {
        "draft": draft, "error": error, "requester": _name(session, conversation.requester_id),
        "owns": conversation.owner_agent_id == viewer.user_id, "client": conversation.client}
    return render(request, "chat/agent_conversation.html", context, viewer=viewer, status_code=status_code,
                  section="/agent/chats")


@router.get("/agent/chats/{conversation_id}")
def conversation_page(request: Request, conversation_id: IdPath, session: SessionDep, viewer: StaffViewer) -> Response:
    """The whole conversation, what the assistant gathered, and the actions open to the viewer."""
    return _page(request, session, viewer, service.get(session, actor=viewer.principal,
                                                       conversation_id=conversation_id))


@router.post("/agent/chats/{conversation_id}/join")
def join(conversation_id: IdPath, session: SessionDep, viewer: StaffFormViewer) -> Response:
    service.join(session, actor=viewer.principal, conversation_id=conversation_id)
    return _see_other(f"/agent/chats/{conversation_id}#latest")


@router.post("/agent/chats/{conversation_id}/reply")
def reply(request: Request, conversation_id: IdPath, session: SessionDep, viewer: StaffFormViewer,
          body: FormText = "", client_key: FormText = "") -> Response:
    """Reply as the owner (joining first if the chat is waiting); a problem shows the page with the reason."""
    try:
        service.agent_reply(session, actor=viewer.principal, conversation_id=conversation_id, body=body,
                            idempotency_key=client_key[:80] or None)
    except (InvalidInput, Conflict) as exc:
        session.rollback()
        conversation = service.get(session, actor=viewer.principal, conversation_id=conversation_id)
        return _page(request, session, viewer, conversation, draft=body[:service.MAX_MESSAGE], error=exc.message,
                     status_code=422 if isinstance(exc, InvalidInput) else 409)
    return _see_other(f"/agent/chats/{conversation_id}#latest")


@router.post("/agent/chats/{conversation_id}/handback")
def hand_back(conversation_id: IdPath, session: SessionDep, viewer: StaffFormViewer) -> Response:
    service.hand_back(session, actor=viewer.principal, conversation_id=conversation_id)
    return _see_other(f"/agent/chats/{conversation_id}#latest")


@router.post("/agent/chats/{conversation_id}/close")
def close(conversation_id: IdPath, session: SessionDep, viewer: StaffFormViewer) -> Response:
    service.close(session, actor=viewer.principal, conversation_id=conversation_id)
    return _see_other(f"/agent/chats/{conversation_id}#latest")
