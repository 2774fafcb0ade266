"""Knowledge-base pages: the article list (status, usage), an article with its versions, and a diff.

Writers (agents), approvers (leads) and auditors open them, as the API allows; every read goes through the kb
services, so a page shows exactly what the API would. Editing is in kb_editor.py, review in kb_review.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from deskpilot.api.deps import IdPath, SessionDep
from deskpilot.clock import utcnow
from deskpilot.kb import service
from deskpilot.kb.enums import KbArticleStatus, KbVersionStatus
from deskpilot.kb.models import KbArticle, KbArticleVersion
from deskpilot.kb.usage import citation_counts
from deskpilot.web.kb_forms import KB_PATH, KbViewer, can_approve, can_edit
from deskpilot.web.portal import PageNumber
from deskpilot.web.templating import render
from deskpilot.web.ticket_views import Pagination
from deskpilot.web.viewer import Viewer

router = APIRouter(include_in_schema=False)
PER_PAGE = 25
USAGE_DAYS = 90
VersionQuery = Annotated[int | None, Query(ge=1, le=1_000_000)]
STATUS_LABELS = {KbArticleStatus.DRAFT: "draft", KbArticleStatus.PUBLISHED: "published",
                 KbArticleStatus.RETIRED: "retired"}
VERSION_LABELS = {KbVersionStatus.DRAFT: "draft", KbVersionStatus.IN_REVIEW: "in review",
                  KbVersionStatus.APPROVED: "approved", KbVersionStatus.RETIRED: "retired"}


def pending_version(article: KbArticle) -> KbArticleVersion | None:
    """The version being worked on (a draft or one in review), if any."""
    return next((v for v in article.versions if v.status in service.OPEN_STATUSES), None)


@router.get(KB_PATH)
def articles(request: Request, session: SessionDep, viewer: KbViewer, page: PageNumber = 1,
             q: Annotated[str, Query(max_length=200)] = "",
             status: Annotated[KbArticleStatus | None, Query()] = None) -> Response:
    """Every article with its status, the version in work and how often the assistant cited it lately."""
    search = q.replace("\x00", "").strip()
    rows, total = service.get_all(session, actor=viewer.principal, search=search or None, status=status,
                                  offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    uses = citation_counts(session, since=utcnow() - timedelta(days=USAGE_DAYS))
    listed = [{"article": a, "pending": pending_version(a), "uses": uses.get(a.slug, 0)} for a in rows]
    params = {"q": search, "status": status.value if status else ""}
    return render(request, "kb/articles.html", {
        "articles": listed, "in_review": service.in_review(session, actor=viewer.principal), "q": search,
        "status": status, "statuses": STATUS_LABELS, "usage_days": USAGE_DAYS,
        "version_labels": VERSION_LABELS, "can_edit": can_edit(viewer), "can_approve": can_approve(viewer),
        "pagination": Pagination.of(page=page, total=total, per_page=PER_PAGE, path=KB_PATH, params=params),
    }, viewer=viewer)


def article_page(request: Request, session: Session, viewer: Viewer, *, article_id: int,
                 version: int | None = None, notice: str | None = None, problem: str | None = None,
                 status_code: int = 200) -> Response:
    """An article at `version` (default: what a reader sees, else the latest) with its history and actions."""
    article = service.get(session, actor=viewer.principal, article_id=article_id)
    shown = (service.get_version(session, actor=viewer.principal, article_id=article_id, version=version)
             if version else service.current_version(article, actor=viewer.principal))
    context: dict[str, Any] = {
        "article": article, "shown": shown, "pending": pending_version(article),
        "versions": list(reversed(service.get_versions(session, actor=viewer.principal, article_id=article_id))),
        "statuses": STATUS_LABELS, "version_labels": VERSION_LABELS, "notice": notice, "problem": problem,
        "can_edit": can_edit(viewer), "can_approve": can_approve(viewer),
        "uses": citation_counts(session, since=utcnow() - timedelta(days=USAGE_DAYS)).get(article.slug, 0),
        "usage_days": USAGE_DAYS,
    }
    return render(request, "kb/article.html", context, viewer=viewer, section=KB_PATH, status_code=status_code)


_NOTICES = {
    "created": "The article was saved as a draft. Submit it for review when it is ready.",
    "saved": "The draft was saved.",
    "versioned": "A new draft version was started.",
    "submitted": "The version was sent for review. A lead approves or sends it back.",
    "approved": "The version was approved and published: the assistant answers from it now.",
    "rejected": "The version was sent back to its author as a draft, with your comment.",
    "retired": "The article was retired: the assistant no longer answers from it.",
    "drafted": "The article was drafted from the ticket, personal data removed, and is waiting for review.",
}


@router.get(KB_PATH + "/{article_id}")
def article(article_id: IdPath, request: Request, session: SessionDep, viewer: KbViewer,
            version: VersionQuery = None, done: str = "") -> Response:
    return article_page(request, session, viewer, article_id=article_id, version=version,
                        notice=_NOTICES.get(done))


@router.get(KB_PATH + "/{article_id}/diff")
def diff(article_id: IdPath, request: Request, session: SessionDep, viewer: KbViewer,
         from_version: Annotated[int, Query(ge=1, le=1_000_000)],
         to_version: Annotated[int, Query(ge=1, le=1_000_000)]) -> Response:
    """What changed between two versions, line by line."""
    text = service.diff(session, actor=viewer.principal, article_id=article_id, from_version=from_version,
                        to_version=to_version)
    lines = [("added" if line.startswith("+") else "removed" if line.startswith("-") else
              "hunk" if line.startswith("@@") else "same", line) for line in text.splitlines()[2:]]
    return render(request, "kb/diff.html", {
        "article": service.get(session, actor=viewer.principal, article_id=article_id), "lines": lines,
        "from_version": from_version, "to_version": to_version,
    }, viewer=viewer, section=KB_PATH)
