"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI

from deskpilot import __version__
from deskpilot.accounts.passwords import configure_hasher
from deskpilot.api import errors
from deskpilot.api.admission import AdmissionLimit
from deskpilot.api.routes import (
    accounts,
    analytics,
    assist,
    audit,
    conversations,
    health,
    kb,
    mail,
    runbooks,
    setup,
    tickets,
    triage,
)
from deskpilot.api.transport_security import StrictTransportSecurity
from deskpilot.config import Settings, get_settings
from deskpilot.db import make_engine, session_factory
from deskpilot.web.pages import install_pages


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for `settings` (defaults to the process settings); the schema must be migrated."""
    settings = settings or get_settings()
    configure_hasher(time_cost=settings.password_time_cost, memory_kib=settings.password_memory_kib)
    app = FastAPI(title="deskpilot", version=__version__,
                  description="Self-hosted AI service desk: tickets, SLAs, triage, grounded answers, audit.")
    app.state.settings = settings
    app.state.engine = make_engine(settings.resolved_database_url, pool_size=settings.db_pool_size,
                                   max_overflow=settings.db_max_overflow)
    app.state.session_factory = session_factory(app.state.engine)
    errors.install(app)
    for module in (health, accounts, tickets, triage, setup, audit, kb, assist, analytics, conversations, runbooks,
                   mail):
        app.include_router(module.router)
    install_pages(app)
    app.add_middleware(AdmissionLimit, limit=settings.http_concurrency)
    if settings.uses_https:
        app.add_middleware(StrictTransportSecurity)
    return app
