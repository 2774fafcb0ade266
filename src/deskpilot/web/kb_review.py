"""The review workflow in pages: an author submits a draft; a lead approves it (with an optional note) or
sends it back with a comment; a lead retires an article. The kb workflow checks every rule (four eyes
included) and audits each step; a refusal is shown on the article's page."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from deskpilot.api.deps import IdPath, RuntimeDep, SessionDep
from deskpilot.errors import DomainError
from deskpilot.governance import kb_changes
from deskpilot.kb import workflow
from deskpilot.web.admin_forms import FormText
from deskpilot.web.kb_forms import KB_PATH, KbFormViewer
from deskpilot.web.kb_pages import article_page
from deskpilot.web.viewer import Viewer

router = APIRouter(include_in_schema=False)
V = KB_PATH + "/{article_id}/versions/{version}"
NEEDS_REASON = "Say why, so the author (or an auditor later) knows what to change."


def _step(request: Request, session: Session, viewer: Viewer, *, article_id: int, done: str,
          change: Callable[[], object]) -> Response:
    try:
        change()
    except DomainError as exc:
        # A refusal that wrote its record (the replay gate's run and audit event) keeps it.
        if exc.recorded:
            session.commit()
        else:
            session.rollback()
        return article_page(request, session, viewer, article_id=article_id, problem=exc.message,
                            status_code=exc.status_code)
    return RedirectResponse(f"{KB_PATH}/{article_id}?done={done}", status_code=303)


def _refuse_blank(request: Request, session: Session, viewer: Viewer, *, article_id: int) -> Response:
    return article_page(request, session, viewer, article_id=article_id, problem=NEEDS_REASON, status_code=422)


@router.post(V + "/submit")
def submit(article_id: IdPath, version: IdPath, request: Request, session: SessionDep,
           viewer: KbFormViewer) -> Response:
    return _step(request, session, viewer, article_id=article_id, done="submitted", change=lambda: workflow.submit(
        session, actor=viewer.principal, article_id=article_id, version=version))


@router.post(V + "/approve")
def approve(article_id: IdPath, version: IdPath, request: Request, session: SessionDep, viewer: KbFormViewer,
            ai: RuntimeDep, note: FormText = "", override_reason: FormText = "") -> Response:
    """Publish the version through the replay gate (a KB change set of one; a lead's reason overrides a refusal);
    the chat answers from it from the next question on (the index follows the DB)."""
    def change() -> object:
        return kb_changes.approve(
            session, actor=viewer.principal, settings=ai.settings, embedder=ai.embedder,
            index=lambda: ai.kb.current(session), note=note.strip() or None, override_reason=override_reason[:500],
            versions=kb_changes.versions_of(session, actor=viewer.principal, refs=[(article_id, version)]))
    return _step(request, session, viewer, article_id=article_id, done="approved", change=change)


@router.post(V + "/reject")
def reject(article_id: IdPath, version: IdPath, request: Request, session: SessionDep, viewer: KbFormViewer,
           reason: FormText = "") -> Response:
    if not reason.strip():
        return _refuse_blank(request, session, viewer, article_id=article_id)
    return _step(request, session, viewer, article_id=article_id, done="rejected", change=lambda: workflow.reject(
        session, actor=viewer.principal, article_id=article_id, version=version, reason=reason[:2000]))


@router.post(KB_PATH + "/{article_id}/retire")
def retire(article_id: IdPath, request: Request, session: SessionDep, viewer: KbFormViewer,
           reason: FormText = "") -> Response:
    if not reason.strip():
        return _refuse_blank(request, session, viewer, article_id=article_id)
    return _step(request, session, viewer, article_id=article_id, done="retired", change=lambda: workflow.retire(
        session, actor=viewer.principal, article_id=article_id, reason=reason[:2000]))
