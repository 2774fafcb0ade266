"""The article editor: a new article, a new version, or a draft's edit, with a live Markdown preview.

The preview is rendered on the server by the same sanitiser every page uses (article_html) and swapped in by
htmx as the author types; without JavaScript the "Preview" button shows it. Saving goes through the kb
service, which checks the author may write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from deskpilot.api.deps import IdPath, SessionDep
from deskpilot.errors import DomainError, PermissionDenied
from deskpilot.kb import service
from deskpilot.kb.enums import KbVersionStatus
from deskpilot.kb.schemas import MAX_BODY
from deskpilot.web.admin_forms import FormText
from deskpilot.web.article_html import article_html
from deskpilot.web.kb_forms import KB_PATH, ArticleForm, KbFormViewer, KbViewer, can_edit
from deskpilot.web.templating import render
from deskpilot.web.viewer import Viewer

T = TypeVar("T")

router = APIRouter(include_in_schema=False)
PREVIEW = "preview"
NOT_WRITER = "Your role may read the knowledge base but not write in it."
BodyText = Annotated[str, Form(max_length=MAX_BODY + 1)]


def _require_writer(viewer: Viewer) -> None:
    if not can_edit(viewer):
        raise PermissionDenied(NOT_WRITER)


def _editor(request: Request, viewer: Viewer, form: ArticleForm, *, action: str, heading: str,
            new_article: bool, show_preview: bool = False, problem: str | None = None,
            status_code: int = 200) -> Response:
    return render(request, "kb/editor.html", {
        "form": form, "action": action, "heading": heading, "new_article": new_article, "problem": problem,
        "notice": None,
        "preview": article_html(form.body) if show_preview or form.body else None,
    }, viewer=viewer, section=KB_PATH, status_code=status_code)


@router.post(KB_PATH + "/preview")
def preview(viewer: KbFormViewer, body: BodyText = "") -> Response:
    """The Markdown as the reader will see it: the fragment the editor's live preview swaps in."""
    del viewer
    html = article_html(body) if body.strip() else Markup("<p class=\"hint\">Nothing to preview yet.</p>")
    return Response(str(html), media_type="text/html")


@router.get(KB_PATH + "/new")
def new_article(request: Request, viewer: KbViewer, title: Annotated[str, Query(max_length=300)] = "",
                question: Annotated[str, Query(max_length=2000)] = "") -> Response:
    """A blank editor, or one started from an unanswered question (the gaps page links here)."""
    _require_writer(viewer)
    body = f"People ask: *{question.strip()}*\n\n## Steps\n\n1. \n" if question.strip() else ""
    return _editor(request, viewer, ArticleForm(title=title.strip(), body=body), action=KB_PATH,
                   heading="New article", new_article=True)


@router.post(KB_PATH)
def create(request: Request, session: SessionDep, viewer: KbFormViewer, title: FormText = "", slug: FormText = "",
           category: FormText = "", body: BodyText = "", change_note: FormText = "",
           intent: FormText = "") -> Response:
    """Save a new article as a draft (version 1)."""
    _require_writer(viewer)
    form = ArticleForm(title=title, slug=slug, category=category, body=body, change_note=change_note)
    data = None if intent == PREVIEW else form.to_article()
    if data is None:
        return _editor(request, viewer, form, action=KB_PATH, heading="New article", new_article=True,
                       show_preview=True, status_code=200 if intent == PREVIEW else 422)
    try:
        article = service.create(session, actor=viewer.principal, data=data)
    except DomainError as exc:
        session.rollback()
        return _editor(request, viewer, form, action=KB_PATH, heading="New article", new_article=True,
                       problem=exc.message, status_code=exc.status_code)
    return RedirectResponse(f"{KB_PATH}/{article.id}?done=created", status_code=303)


def _version_editor(request: Request, session: Session, viewer: Viewer, *, article_id: int, version: int | None,
                    form: ArticleForm | None = None, show_preview: bool = False, problem: str | None = None,
                    status_code: int = 200) -> Response:
    article = service.get(session, actor=viewer.principal, article_id=article_id)
    if version is None:
        current = service.current_version(article, actor=viewer.principal)
        form = form or ArticleForm(title=article.title, body=current.body if current else "")
        action, heading = f"{KB_PATH}/{article_id}/versions", f"New version of “{article.title}”"
    else:
        draft = service.get_version(session, actor=viewer.principal, article_id=article_id, version=version)
        form = form or ArticleForm(title=draft.title, body=draft.body, change_note=draft.change_note)
        action, heading = f"{KB_PATH}/{article_id}/versions/{version}", f"Edit draft v{version} of “{article.title}”"
    return _editor(request, viewer, form, action=action, heading=heading, new_article=False,
                   show_preview=show_preview, problem=problem, status_code=status_code)


@router.get(KB_PATH + "/{article_id}/versions/new")
def new_version(article_id: IdPath, request: Request, session: SessionDep, viewer: KbViewer) -> Response:
    """An editor holding the current text, to become the next version."""
    _require_writer(viewer)
    return _version_editor(request, session, viewer, article_id=article_id, version=None)


@router.post(KB_PATH + "/{article_id}/versions")
def add_version(article_id: IdPath, request: Request, session: SessionDep, viewer: KbFormViewer,
                title: FormText = "", body: BodyText = "", change_note: FormText = "",
                intent: FormText = "") -> Response:
    _require_writer(viewer)
    form = ArticleForm(title=title, body=body, change_note=change_note)
    return _submit(request, session, viewer, article_id=article_id, version=None, form=form, intent=intent,
                   data=None if intent == PREVIEW else form.to_version(),
                   save=lambda data: service.add_version(session, actor=viewer.principal, article_id=article_id,
                                                         data=data), done="versioned")


def _submit(request: Request, session: Session, viewer: Viewer, *, article_id: int, version: int | None,
            form: ArticleForm, intent: str, data: T | None, save: Callable[[T], object], done: str) -> Response:
    """The editor's one flow: a preview (or an invalid form) shows the editor again with the preview; a save
    the service refuses shows it with the reason, nothing kept; a saved one goes back to the article."""
    if data is None:
        return _version_editor(request, session, viewer, article_id=article_id, version=version, form=form,
                               show_preview=True, status_code=200 if intent == PREVIEW else 422)
    try:
        save(data)
    except DomainError as exc:
        session.rollback()
        return _version_editor(request, session, viewer, article_id=article_id, version=version, form=form,
                               problem=exc.message, status_code=exc.status_code)
    return RedirectResponse(f"{KB_PATH}/{article_id}?done={done}", status_code=303)


@router.get(KB_PATH + "/{article_id}/versions/{version}/edit")
def edit_draft(article_id: IdPath, version: IdPath, request: Request, session: SessionDep,
               viewer: KbViewer) -> Response:
    _require_writer(viewer)
    found = service.get_version(session, actor=viewer.principal, article_id=article_id, version=version)
    if found.status is not KbVersionStatus.DRAFT:
        return RedirectResponse(f"{KB_PATH}/{article_id}?version={version}", status_code=303)
    return _version_editor(request, session, viewer, article_id=article_id, version=version)


@router.post(KB_PATH + "/{article_id}/versions/{version}")
def save_draft(article_id: IdPath, version: IdPath, request: Request, session: SessionDep, viewer: KbFormViewer,
               title: FormText = "", body: BodyText = "", change_note: FormText = "",
               intent: FormText = "") -> Response:
    """Save a draft's title, text and change note (a version in review is frozen: the service refuses)."""
    _require_writer(viewer)
    form = ArticleForm(title=title, body=body, change_note=change_note)
    return _submit(request, session, viewer, article_id=article_id, version=version, form=form, intent=intent,
                   data=None if intent == PREVIEW else form.to_update(),
                   save=lambda data: service.update_draft(session, actor=viewer.principal, article_id=article_id,
                                                          version=version, data=data), done="saved")
