"""/api/v1/conversations: chat sessions for any channel (web chat today; e-mail and ITSM channels reuse it).

Requesters see only their own conversations (another's is 404); agents see those in their teams' queues.
Every response carries `Server-Timing: app;dur=<ms>`, the server-side time including the commit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from deskpilot.api.deps import CurrentPrincipal, IdPath, SessionDep, chat_assistant
from deskpilot.api.idempotency.middleware import route_handles_key
from deskpilot.conversations import flow, password_help, service
from deskpilot.conversations.diagnostics import client_info
from deskpilot.conversations.models import Conversation
from deskpilot.conversations.schemas import (
    ConversationCreate,
    ConversationMessageCreate,
    ConversationMessageRead,
    ConversationRead,
    CsatCreate,
    NewPasswordCreate,
    TranscriptRead,
    TurnRead,
)
from deskpilot.conversations.state import ConversationState
from deskpilot.conversations.transactions import retried


class TimedRoute(APIRoute):
    """Adds the server-side duration (dependencies, work and commit) as a Server-Timing header."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def timed(request: Request) -> Response:
            started = time.perf_counter()
            response = await original(request)
            response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
            return response

        return timed


router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"], route_class=TimedRoute)
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=80,
                                              description="Send the same key when retrying a POST: "
                                                          "the message is stored once.")]


def _transcript(conversation: Conversation) -> TranscriptRead:
    return TranscriptRead.model_validate(conversation)


@router.post("", status_code=201, operation_id="create_conversation")
def create(data: ConversationCreate, request: Request, session: SessionDep, actor: CurrentPrincipal,
           idempotency_key: IdempotencyKey = None) -> TranscriptRead:
    """Start a conversation with the assistant (the scope statement first); a first message is answered at once."""
    client = client_info(request.headers.get("user-agent"))

    def work(db: Session) -> TranscriptRead:
        conversation, _turn = flow.start(db, actor=actor, assistant=chat_assistant(request, db),
                                         body=data.message, channel=data.channel, client=client,
                                         idempotency_key=idempotency_key)
        return _transcript(conversation)

    return retried(session, work)


@router.get("", operation_id="list_conversations")
def list_conversations(session: SessionDep, actor: CurrentPrincipal,
                       state: Annotated[list[ConversationState] | None, Query()] = None,
                       mine: bool = False, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[ConversationRead]:
    """Conversations you may see, most recently active first (agents: `state=waiting_for_human` to pick up)."""
    rows = service.get_all(session, actor=actor, states=state or (), mine=mine, limit=limit)
    return [ConversationRead.model_validate(c) for c in rows]


@router.get("/{conversation_id}", operation_id="get_conversation")
def get(conversation_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> TranscriptRead:
    """The conversation with its full transcript; machine messages are marked `ai_assisted` with citations."""
    return _transcript(service.get(session, actor=actor, conversation_id=conversation_id))


@router.post("/{conversation_id}/messages", status_code=201, operation_id="post_conversation_message",
             dependencies=[Depends(route_handles_key)])
def post_message(conversation_id: IdPath, data: ConversationMessageCreate, request: Request, response: Response,
                 session: SessionDep, actor: CurrentPrincipal,
                 idempotency_key: IdempotencyKey = None) -> TurnRead:
    """The requester writes (the owner answers), or the owning agent replies. Retry with the same key safely."""
    def work(db: Session) -> TurnRead:
        turn = flow.post(db, actor=actor, conversation_id=conversation_id, body=data.body,
                         assistant=chat_assistant(request, db), idempotency_key=idempotency_key)
        return TurnRead(conversation=ConversationRead.model_validate(turn.conversation),
                        message=ConversationMessageRead.model_validate(turn.message),
                        replies=[ConversationMessageRead.model_validate(m) for m in turn.replies],
                        replayed=turn.replayed)

    result = retried(session, work)
    if result.replayed:
        response.status_code = 200
    return result


@router.post("/{conversation_id}/handoff", operation_id="hand_off_conversation")
def hand_off(conversation_id: IdPath, request: Request, session: SessionDep,
             actor: CurrentPrincipal) -> TranscriptRead:
    """"Talk to a human": a ticket with the context is created (or linked) and the chat waits for an agent."""
    return retried(session, lambda db: _transcript(flow.hand_off(db, actor=actor, conversation_id=conversation_id,
                                                                 assistant=chat_assistant(request, db))))


@router.post("/{conversation_id}/password", operation_id="set_conversation_password")
def set_password(conversation_id: IdPath, data: NewPasswordCreate, request: Request, session: SessionDep,
                 actor: CurrentPrincipal) -> TranscriptRead:
    """Self-service reset, last step: after the e-mailed code was entered in the chat, the new password runs the
    approved `password-reset` runbook on the requester's own account (policy-checked; never stored)."""
    tools = chat_assistant(request, session).tools()
    return _transcript(password_help.set_password(session, actor=actor, conversation_id=conversation_id,
                                                  new_password=data.new_password, tools=tools))


@router.post("/{conversation_id}/join", operation_id="join_conversation")
def join(conversation_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> TranscriptRead:
    """An agent takes the conversation over; the assistant stays silent until it is handed back."""
    return _transcript(service.join(session, actor=actor, conversation_id=conversation_id))


@router.post("/{conversation_id}/handback", operation_id="hand_back_conversation")
def hand_back(conversation_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> TranscriptRead:
    """The owning agent returns the conversation to the assistant, which resumes with the context."""
    return _transcript(service.hand_back(session, actor=actor, conversation_id=conversation_id))


@router.post("/{conversation_id}/close", operation_id="close_conversation")
def close(conversation_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> TranscriptRead:
    """End the conversation (the requester, or the owning agent); the requester is asked for a rating."""
    return _transcript(service.close(session, actor=actor, conversation_id=conversation_id))


@router.post("/{conversation_id}/csat", operation_id="rate_conversation")
def rate(conversation_id: IdPath, data: CsatCreate, session: SessionDep, actor: CurrentPrincipal) -> ConversationRead:
    """The requester's satisfaction (1–5) and an optional comment, once the conversation has ended."""
    return ConversationRead.model_validate(service.rate(session, actor=actor, conversation_id=conversation_id,
                                                        score=data.score, comment=data.comment))
