"""Mounts the web layer on the app: templates, static files, page routers and HTML error pages.

A new page area (chat, agent console, KPI dashboard) adds its router to PAGE_ROUTERS, its templates under
templates/<area>/ extending base.html, and its links to navigation.NAV.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from deskpilot.channels.webchat import chat, chat_agent
from deskpilot.web import (
    account,
    admin,
    admin_ai,
    admin_connections,
    admin_jobs,
    admin_privacy,
    admin_retention,
    admin_setup,
    admin_sla,
    admin_taxonomy,
    audit_pages,
    auth_pages,
    canned_pages,
    console_bulk,
    console_mail,
    console_queue,
    console_ticket,
    dashboard,
    error_pages,
    governance,
    governance_board,
    help_centre,
    kb_editor,
    kb_import,
    kb_pages,
    kb_review,
    kb_sources,
    password_reset_pages,
    portal,
    requester_limits,
    runbook_pages,
    runbook_runs,
    sso_pages,
    staff,
    suggestions,
    ticket_files,
    work_starts,
)
from deskpilot.web.templating import STATIC_DIR, make_templates

PAGE_ROUTERS: tuple[APIRouter, ...] = (auth_pages.router, portal.router, staff.router, console_queue.router,
                                         console_ticket.router, dashboard.router, suggestions.router, chat.router,
                                         chat_agent.router, account.router, admin_setup.router,
                                         admin_taxonomy.router, admin.router, admin_sla.router, console_mail.router,
                                         ticket_files.router, work_starts.router, admin_privacy.router,
                                         admin_retention.router,
                                         sso_pages.router,
                                         # Fixed paths (/kb/new, /kb/gaps) before /kb/{article_id}.
                                         kb_sources.router, kb_import.router, kb_editor.router, kb_review.router,
                                         kb_pages.router, help_centre.router, audit_pages.router,
                                         # /runbooks/runs before /runbooks/{name}.
                                         runbook_runs.router, runbook_pages.router,
                                         requester_limits.router, governance.router, console_bulk.router,
                                         canned_pages.router, governance_board.router, admin_ai.router,
                                         admin_connections.router, password_reset_pages.router,
                                         admin_jobs.router)


def install_pages(app: FastAPI) -> None:
    """Add the pages to `app`; call after the API's error handlers are installed (they are reused)."""
    app.state.templates = make_templates()
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in PAGE_ROUTERS:
        app.include_router(router)
    error_pages.install(app)
