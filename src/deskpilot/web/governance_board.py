"""The governance board's pages: the answer review queue (draw a stratified sample, give verdicts) and the KB
change sets (approve versions in review together through the replay gate, roll a change set back)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from deskpilot.api.deps import IdPath, RuntimeDep, SessionDep
from deskpilot.clock import utcnow
from deskpilot.errors import DomainError, InvalidInput
from deskpilot.governance import kb_changes, reviews
from deskpilot.governance.enums import Verdict
from deskpilot.governance.models import ReplayRun
from deskpilot.kb import service as kb_service
from deskpilot.web.admin_forms import FormText
from deskpilot.web.templating import render
from deskpilot.web.viewer import FormViewer, PostedForm, StaffViewer, Viewer

router = APIRouter(include_in_schema=False)
REVIEW_PATH, KB_PATH = "/governance/review", "/governance/kb"
DONE = {"sampled": "The sample was added to the queue.", "marked": "The verdict was recorded.",
        "approved": "The change set was approved and published: the chat answers from it now.",
        "rolled_back": "The change set was rolled back: the chat answers from the previous versions again."}


def _review_page(request: Request, session: Session, viewer: Viewer, *, problem: str | None = None,
                 status_code: int = 200) -> Response:
    actor = viewer.principal
    return render(request, "governance/review.html", {
        "waiting": reviews.get_all(session, actor=actor, pending=True),
        "reviewed": reviews.get_all(session, actor=actor, pending=False, limit=20), "band": reviews.band,
        "verdicts": list(Verdict), "problem": problem, "notice": DONE.get(request.query_params.get("done", "")),
    }, viewer=viewer, status_code=status_code)


def _attempt(request: Request, session: Session, viewer: Viewer, *, page: Callable[..., Response], done: str,
             to: str, change: Callable[[], object]) -> Response:
    try:
        change()
    except DomainError as exc:
        if exc.recorded:
            session.commit()
        else:
            session.rollback()
        return page(request, session, viewer, problem=exc.message, status_code=exc.status_code)
    return RedirectResponse(f"{to}?done={done}", status_code=303)


@router.get(REVIEW_PATH)
def review_queue(request: Request, session: SessionDep, viewer: StaffViewer) -> Response:
    """The items waiting for a verdict, oldest sampled first, and the latest verdicts."""
    return _review_page(request, session, viewer)


@router.post(REVIEW_PATH + "/sample")
def draw_sample(request: Request, session: SessionDep, viewer: FormViewer,
                days: Annotated[int, Form(ge=1, le=365)] = 7,
                per_stratum: Annotated[int, Form(ge=1, le=100)] = 3) -> Response:
    return _attempt(request, session, viewer, page=_review_page, done="sampled", to=REVIEW_PATH,
                    change=lambda: reviews.sample(session, actor=viewer.principal, per_stratum=per_stratum,
                                                  since=utcnow() - timedelta(days=days)))


@router.post(REVIEW_PATH + "/{review_id}")
def give_verdict(review_id: IdPath, request: Request, session: SessionDep, viewer: FormViewer,
                 verdict: Annotated[Verdict, Form()], note: FormText = "") -> Response:
    return _attempt(request, session, viewer, page=_review_page, done="marked", to=REVIEW_PATH,
                    change=lambda: reviews.mark(session, actor=viewer.principal, review_id=review_id,
                                                verdict=verdict, note=note[:1000]))


def _kb_page(request: Request, session: Session, viewer: Viewer, *, problem: str | None = None,
             status_code: int = 200) -> Response:
    change_sets = kb_changes.recent(session, actor=viewer.principal)
    runs = {run.id: run for run in (session.get(ReplayRun, c.replay_run_id) for c in change_sets
                                    if c.replay_run_id) if run is not None}
    pending = kb_service.in_review(session, actor=viewer.principal, limit=200)
    return render(request, "governance/kb_changes.html", {
        "pending": pending, "change_sets": change_sets, "runs": runs, "problem": problem,
        "notice": DONE.get(request.query_params.get("done", "")),
    }, viewer=viewer, status_code=status_code)


@router.get(KB_PATH)
def kb_change_sets(request: Request, session: SessionDep, viewer: StaffViewer) -> Response:
    """The versions in review (to approve together through the gate) and the change sets approved so far."""
    return _kb_page(request, session, viewer)


def _refs(form: PostedForm) -> list[tuple[int, int]]:
    refs = []
    for value in form.getlist("version"):
        article, _, number = str(value).partition(":")
        if not (article.isdigit() and number.isdigit()):
            raise InvalidInput(f"{value!r} does not name an article version")
        refs.append((int(article), int(number)))
    if not refs:
        raise InvalidInput("Tick the versions in review that make up the change set.")
    return refs


@router.post(KB_PATH)
def approve_change_set(request: Request, session: SessionDep, viewer: FormViewer, ai: RuntimeDep,
                       form: PostedForm) -> Response:
    """Approve the ticked versions together if the replay gate passes, or with a lead's override reason."""
    def change() -> object:
        return kb_changes.approve(
            session, actor=viewer.principal, settings=ai.settings, embedder=ai.embedder,
            index=lambda: ai.kb.current(session),
            versions=kb_changes.versions_of(session, actor=viewer.principal, refs=_refs(form)),
            note=str(form.get("note") or "").strip()[:2000] or None,
            override_reason=str(form.get("override_reason") or "")[:500])
    return _attempt(request, session, viewer, page=_kb_page, done="approved", to=KB_PATH, change=change)


@router.post(KB_PATH + "/{change_set_id}/rollback")
def roll_back(change_set_id: IdPath, request: Request, session: SessionDep, viewer: FormViewer,
              reason: FormText = "") -> Response:
    return _attempt(request, session, viewer, page=_kb_page, done="rolled_back", to=KB_PATH,
                    change=lambda: kb_changes.rollback(session, actor=viewer.principal, change_set_id=change_set_id,
                                                       reason=reason[:500]))
