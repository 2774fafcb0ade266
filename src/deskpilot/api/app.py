"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from deskpilot import __version__
from deskpilot.accounts.passwords import configure_hasher
from deskpilot.api import errors, openapi
from deskpilot.api.admission import AdmissionLimit
from deskpilot.api.body_limits import FormBodyLimit, JsonBodyLimits
from deskpilot.api.idempotency.middleware import IdempotentPosts
from deskpilot.api.routes import (
    accounts,
    admin_connections,
    admin_settings,
    analytics,
    assist,
    audit,
    canned_responses,
    connector_webhooks,
    conversation_attachments,
    conversations,
    erasure,
    governance,
    health,
    jobs,
    kb,
    mail,
    privacy,
    requester_limits,
    runbooks,
    setup,
    taxonomy,
    ticket_attachments,
    tickets,
    triage,
)
from deskpilot.api.transport_security import StrictTransportSecurity
from deskpilot.audit.keyring import configure_audit
from deskpilot.config import Settings, get_settings
from deskpilot.db import make_engine, session_factory
from deskpilot.runtime import AiRuntime, build_runtime, warm_in_background
from deskpilot.sealed_storage import configure_sealing
from deskpilot.web.pages import install_pages


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """At start-up the KB index and its multilingual vectors are loaded in the background (`warm_in_background`)."""
    warm_in_background(app.state.runtime, app.state.session_factory)
    yield


# The multipart framing and the other fields of an upload form, beside the file itself.
FORM_OVERHEAD_BYTES = 1024 * 1024


def create_app(settings: Settings | None = None, runtime: AiRuntime | None = None) -> FastAPI:
    """Build the app for `settings` (defaults to the process settings); the schema must be migrated.

    `runtime` (built from `settings` when not given) lets several apps of one process share the AI parts."""
    settings = settings or get_settings()
    configure_hasher(time_cost=settings.password_time_cost, memory_kib=settings.password_memory_kib)
    configure_audit(settings)
    configure_sealing(settings)
    app = FastAPI(title="deskpilot", version=__version__, docs_url=None, redoc_url=None,
                  description="Self-hosted AI service desk: tickets, SLAs, triage, grounded answers, audit.",
                  lifespan=_lifespan)
    app.state.settings = settings
    app.state.runtime = runtime or build_runtime(settings)
    app.state.engine = make_engine(settings.resolved_database_url, pool_size=settings.db_pool_size,
                                   max_overflow=settings.db_max_overflow)
    app.state.session_factory = session_factory(app.state.engine)
    app.state.writer_session_factory = session_factory(app.state.engine, writes=True)
    errors.install(app)
    for module in (health, accounts, tickets, ticket_attachments, requester_limits, triage, taxonomy, setup, audit,
                   kb, assist, analytics, conversations, conversation_attachments, runbooks, mail, governance,
                   privacy, erasure, canned_responses, admin_settings, admin_connections, connector_webhooks,
                   jobs):
        app.include_router(module.router)
    openapi.install(app)
    install_pages(app)
    app.add_middleware(IdempotentPosts, session_factory=app.state.writer_session_factory)
    app.add_middleware(AdmissionLimit, limit=settings.http_concurrency, queue_seconds=settings.http_queue_seconds)
    app.add_middleware(JsonBodyLimits, self_bounded=frozenset({kb.IMPORT_PATH}))
    app.add_middleware(FormBodyLimit, max_bytes=settings.attachment_max_bytes + FORM_OVERHEAD_BYTES)
    app.add_middleware(errors.ErrorBoundary, handlers=app.exception_handlers)
    if settings.uses_https:
        app.add_middleware(StrictTransportSecurity)
    return app
