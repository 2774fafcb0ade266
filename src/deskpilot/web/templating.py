"""The Jinja2 environment (autoescaping everywhere) and the one way pages are rendered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.responses import Response

from deskpilot import __version__
from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.web import csrf, wording
from deskpilot.web.article_html import article_html
from deskpilot.web.navigation import HUMAN_HELP_PATH, nav_for
from deskpilot.web.viewer import Viewer

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"

# Pages load only our own CSS and scripts; htmx is configured (see base.html) to need no inline style or eval.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def make_templates() -> Jinja2Templates:
    """Templates with autoescaping on for every file and undefined names as errors, not blanks."""
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(version=__version__, human_help_path=HUMAN_HELP_PATH, csrf_field=csrf.FIELD,
                       priority_label=wording.priority_label, status_label=wording.status_label,
                       absolute=wording.absolute, relative=wording.relative, file_size=wording.file_size)
    env.filters["markdown"] = article_html
    return Jinja2Templates(env=env)


def render(request: Request, template: str, context: dict[str, Any], *, viewer: Viewer | None,
           status_code: int = 200, section: str | None = None) -> Response:
    """Render a page inside the layout: navigation, the viewer's CSRF token and the security headers.

    `section` is the navigation path the page belongs to when its own path does not say (default: the path).
    """
    settings: Settings = request.app.state.settings
    templates: Jinja2Templates = request.app.state.templates
    token = csrf.token_for(secret_key=settings.secret_key, binding=viewer.session_secret) if viewer else ""
    base = {"viewer": viewer, "nav": nav_for(viewer, section or request.url.path), "csrf_token": token, "now": utcnow(),
            "show_human_link": viewer is None or viewer.is_requester}
    return templates.TemplateResponse(request, template, base | context, status_code=status_code,
                                      headers=SECURITY_HEADERS)
