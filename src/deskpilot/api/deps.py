"""Request dependencies: one unit of work per request, and the acting principal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from deskpilot import runtime as ai
from deskpilot.accounts import login
from deskpilot.accounts import service as accounts
from deskpilot.accounts.models import User
from deskpilot.accounts.principal import Principal
from deskpilot.assist.index_store import KbIndex
from deskpilot.config import Settings
from deskpilot.conversations.flow import Assistant
from deskpilot.db import unit_of_work
from deskpilot.errors import NotAuthenticated
from deskpilot.governance import ai_settings
from deskpilot.runtime import AiRuntime

SESSION_COOKIE = "deskpilot_session"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_bearer = HTTPBearer(auto_error=False, description="An API token from `deskpilot users token`.")


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """A session whose transaction commits when the request succeeds and rolls back otherwise.

    A request that may change something (any method but GET, HEAD, OPTIONS) gets a writing session, so on
    SQLite concurrent writers wait their turn instead of failing; reads stay concurrent.
    """
    state = request.app.state
    factory: sessionmaker[Session] = state.session_factory if request.method in READ_METHODS \
        else state.writer_session_factory
    with unit_of_work(factory) as session:
        yield session


# "function" scope: commit before the response leaves, so a client never reads a write that is not stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def ai_runtime(request: Request) -> AiRuntime:
    """The app's AI runtime, built once by the app factory (API routes and pages alike)."""
    runtime: AiRuntime = request.app.state.runtime
    return runtime


def kb_index(request: Request, session: SessionDep) -> KbIndex:
    """The process's KB index, synced to the approved versions this request's session sees."""
    return ai_runtime(request).kb.current(session)


def chat_assistant(request: Request, session: Session) -> Assistant:
    """The chat assistant for this turn (API and pages); the index is synced inside the turn's transaction."""
    return ai.chat_assistant(ai_runtime(request), session)


def settings_in_force(request: Request, session: SessionDep) -> Settings:
    """The app's settings with the administrators' overrides on top, read in this request's transaction."""
    return ai_settings.effective(session, get_settings(request))


RuntimeDep = Annotated[AiRuntime, Depends(ai_runtime)]
SettingsInForce = Annotated[Settings, Depends(settings_in_force)]
IndexDep = Annotated[KbIndex, Depends(kb_index)]


def signed_in_user(request: Request, session: Session,
                   credentials: HTTPAuthorizationCredentials | None) -> User | None:
    """The one resolver of who is acting, for the API and the pages: the user of an API token when one is sent
    (the API), else of the session cookie. Pages pass no token: their forms' CSRF tokens bind to the session."""
    if credentials is not None:
        return accounts.user_for_token(session, token=credentials.credentials)
    cookie = request.cookies.get(SESSION_COOKIE)
    return login.user_for_session(session, secret=cookie) if cookie else None


def current_principal(request: Request, session: SessionDep,
                      credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    """The signed-in user (API token or session cookie), or 401."""
    user = signed_in_user(request, session, credentials)
    if user is None:
        raise NotAuthenticated("Sign in, or send an API token as `Authorization: Bearer <token>`.")
    return Principal.of(user)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]

MAX_ID = 2_147_483_647
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Limit = Annotated[int, Query(ge=1, le=200)]
