"""The review workflow: draft → in_review → approved → retired; a rejection sends a version back to draft.

Decision (four eyes): the approver must be someone other than the author. Admins are exempt so a desk
with a single knowledge manager can still publish, and so can the system actor of imports and the
demo loader; every approval is audited with who approved what, so the exemption stays visible.
Approving a version retires the previously approved one: an article has at most one approved version,
and only approved versions are ever handed to retrieval (`service.approved_documents`).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from deskpilot.accounts.enums import Role
from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.clock import utcnow
from deskpilot.errors import Conflict, PermissionDenied
from deskpilot.kb.enums import KbArticleStatus, KbVersionStatus
from deskpilot.kb.models import KbArticle, KbArticleVersion
from deskpilot.kb.service import article_snapshot, get, get_version, record, version_snapshot


def _expect(version: KbArticleVersion, status: KbVersionStatus, doing: str) -> None:
    if version.status is not status:
        raise Conflict(f"{version.article.slug} v{version.version} is {version.status}; only a version that "
                       f"is {status} can be {doing}.")


def submit(session: Session, *, actor: Principal, article_id: int, version: int) -> KbArticleVersion:
    """Send a draft for review; it is frozen until approved or rejected."""
    require(actor, Permission.KB_EDIT)
    found = get_version(session, actor=actor, article_id=article_id, version=version)
    _expect(found, KbVersionStatus.DRAFT, "submitted for review")
    before = version_snapshot(found)
    found.status, found.submitted_at = KbVersionStatus.IN_REVIEW, utcnow()
    found.reviewer_id = found.reviewer_name = found.review_note = None
    session.flush()
    record(session, actor, "kb.submit", found.article, before=before, after=version_snapshot(found))
    return found


def _check_four_eyes(actor: Principal, version: KbArticleVersion) -> None:
    if actor.role is Role.ADMIN:
        return
    if actor.user_id is not None and actor.user_id == version.author_id:
        raise PermissionDenied(f"You wrote {version.article.slug} v{version.version}; another lead or an admin "
                               "has to approve it.")


def approve(session: Session, *, actor: Principal, article_id: int, version: int,
            note: str | None = None) -> KbArticleVersion:
    """Publish a version in review (leads and admins); the version approved before it is retired."""
    require(actor, Permission.KB_APPROVE)
    found = get_version(session, actor=actor, article_id=article_id, version=version)
    _expect(found, KbVersionStatus.IN_REVIEW, "approved")
    _check_four_eyes(actor, found)
    article = found.article
    before = article_snapshot(article)
    now = utcnow()
    for other in article.versions:
        if other.status is KbVersionStatus.APPROVED:
            other.status, other.retired_at = KbVersionStatus.RETIRED, now
    found.status, found.approved_at = KbVersionStatus.APPROVED, now
    found.reviewer_id, found.reviewer_name, found.review_note = actor.user_id, actor.username, note
    article.approved_version, article.title, article.status = found.version, found.title, KbArticleStatus.PUBLISHED
    session.flush()
    record(session, actor, "kb.approve", article, before=before,
           after=article_snapshot(article) | {"approved": version_snapshot(found)})
    return found


def reject(session: Session, *, actor: Principal, article_id: int, version: int, reason: str) -> KbArticleVersion:
    """Send a version in review back to draft with the reviewer's reason (leads and admins)."""
    require(actor, Permission.KB_APPROVE)
    found = get_version(session, actor=actor, article_id=article_id, version=version)
    _expect(found, KbVersionStatus.IN_REVIEW, "rejected")
    before = version_snapshot(found)
    found.status, found.submitted_at = KbVersionStatus.DRAFT, None
    found.reviewer_id, found.reviewer_name, found.review_note = actor.user_id, actor.username, reason.strip()
    session.flush()
    record(session, actor, "kb.reject", found.article, before=before, after=version_snapshot(found))
    return found


def retire(session: Session, *, actor: Principal, article_id: int, reason: str) -> KbArticle:
    """Withdraw an article: its approved version is retired and no answer uses it any more."""
    require(actor, Permission.KB_APPROVE)
    article = get(session, actor=actor, article_id=article_id)
    if article.status is KbArticleStatus.RETIRED:
        raise Conflict(f"{article.slug} is already retired.")
    before = article_snapshot(article)
    now = utcnow()
    for version in article.versions:
        if version.status is KbVersionStatus.APPROVED:
            version.status, version.retired_at = KbVersionStatus.RETIRED, now
    article.status, article.approved_version = KbArticleStatus.RETIRED, None
    session.flush()
    record(session, actor, "kb.retire", article, before=before, after=article_snapshot(article) | {"reason": reason})
    return article
