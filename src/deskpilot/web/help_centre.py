"""The help centre: approved articles by category, search with the chat's retrieval, article pages with "was
this helpful?" (counted by the KPI report) and a way on to the assistant or a request.

Signed-in users of every role may read it; visitors who are not signed in only when the desk allows it
(`Settings.help_centre_public`), else they are sent to sign in. Anonymous forms are bound to the pre-session
cookie for CSRF, as the sign-in form is.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from deskpilot.api.deps import SESSION_COOKIE, IndexDep, SessionDep, SettingsDep
from deskpilot.assist.dialogue import RetrievalQuery
from deskpilot.assist.retrieval import HybridRetriever
from deskpilot.errors import PermissionDenied
from deskpilot.kb import help_centre
from deskpilot.kb.schemas import SLUG_PATTERN
from deskpilot.web import csrf
from deskpilot.web.suggestions import MIN_CONFIDENCE
from deskpilot.web.templating import render
from deskpilot.web.viewer import SignInRequired, Viewer, current_viewer

router = APIRouter(include_in_schema=False)
HELP_PATH = "/help"
RESULTS = 8
SNIPPET_CHARS = 220
SlugPath = Annotated[str, Path(max_length=120, pattern=SLUG_PATTERN)]
_THANKS = {"yes": "Thank you: glad it helped.",
           "no": "Thank you for telling us. Ask the assistant or open a request and a person will help."}


def help_reader(request: Request, session: SessionDep, settings: SettingsDep) -> Viewer | None:
    """The signed-in reader, or None for an anonymous visitor when the help centre is public."""
    try:
        return current_viewer(request, session)
    except SignInRequired:
        if settings.help_centre_public:
            return None
        raise


HelpReader = Annotated[Viewer | None, Depends(help_reader)]


def _page(request: Request, template: str, context: dict[str, Any], viewer: Viewer | None) -> Response:
    """Render with a CSRF token an anonymous visitor's form can carry too (bound to the pre-session cookie)."""
    settings = request.app.state.settings
    binding = request.cookies.get(csrf.PRESESSION_COOKIE) or csrf.new_presession_secret()
    token = None if viewer else csrf.token_for(secret_key=settings.secret_key, binding=binding)
    response = render(request, template, context | ({"csrf_token": token} if token else {}), viewer=viewer,
                      section=HELP_PATH)
    if viewer is None:
        response.set_cookie(csrf.PRESESSION_COOKIE, binding, httponly=True, samesite="lax",
                            secure=settings.uses_https)
    return response


@router.get(HELP_PATH)
def home(request: Request, session: SessionDep, viewer: HelpReader, index: IndexDep,
         q: Annotated[str, Query(max_length=300)] = "",
         category: Annotated[str, Query(max_length=120)] = "") -> Response:
    """Categories to browse, one category's articles, or the articles that match a search."""
    query = q.replace("\x00", "").strip()
    results = []
    if query and len(index):
        found = HybridRetriever(index).search(RetrievalQuery.from_dialogue(query), k=RESULTS)
        if found.confidence >= MIN_CONFIDENCE:
            results = [{"slug": hit.slug, "title": hit.document.title,
                        "snippet": hit.chunks[0].chunk.text[:SNIPPET_CHARS] if hit.chunks else ""}
                       for hit in found.hits]
    return _page(request, "help/index.html", {
        "q": query, "results": results, "category": category,
        "categories": help_centre.categories(session),
        "articles": help_centre.articles_in(session, category=category) if category else [],
    }, viewer)


@router.get(HELP_PATH + "/articles/{slug}")
def article(slug: SlugPath, request: Request, session: SessionDep, viewer: HelpReader,
            thanks: Annotated[str, Query(max_length=3)] = "") -> Response:
    """An approved article, rendered and sanitised, with "was this helpful?"."""
    return _page(request, "help/article.html", {
        "article": help_centre.get_article(session, slug=slug), "thanks": _THANKS.get(thanks),
    }, viewer)


@router.post(HELP_PATH + "/articles/{slug}/feedback")
def feedback(slug: SlugPath, request: Request, session: SessionDep, settings: SettingsDep, viewer: HelpReader,
             helpful: Annotated[str, Form(pattern="^(yes|no)$")], csrf_token: Annotated[str, Form()] = "") -> Response:
    """Count the answer for the KPI report and thank the reader."""
    binding = request.cookies.get(SESSION_COOKIE if viewer else csrf.PRESESSION_COOKIE)
    if not csrf.is_valid(secret_key=settings.secret_key, binding=binding, submitted=csrf_token):
        raise PermissionDenied(csrf.REJECTED)
    help_centre.record_feedback(session, slug=slug, helpful=helpful == "yes",
                                user_id=viewer.user_id if viewer else None)
    return RedirectResponse(f"{HELP_PATH}/articles/{slug}?thanks={helpful}#feedback", status_code=303)
