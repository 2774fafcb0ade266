"""Use cases of the kb area: create, read, list, version, edit drafts, diff. Services flush only.

The review workflow (submit, approve, reject, retire) is in `workflow.py`; import/export in
`importer.py` / `export.py`; drafts from resolved tickets in `from_ticket.py`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from deskpilot.accounts.models import User
from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.clock import utcnow
from deskpilot.errors import Conflict, InvalidInput, NotFound
from deskpilot.kb.access import require_unpublished, sees_unpublished
from deskpilot.kb.enums import KbArticleStatus, KbVersionStatus
from deskpilot.kb.models import KbArticle, KbArticleVersion
from deskpilot.kb.schemas import KbArticleCreate, KbVersionCreate, KbVersionUpdate
from deskpilot.tickets.models import Queue

OPEN_STATUSES = (KbVersionStatus.DRAFT, KbVersionStatus.IN_REVIEW)


def article_snapshot(article: KbArticle) -> dict[str, Any]:
    return {"slug": article.slug, "title": article.title, "status": article.status,
            "approved_version": article.approved_version, "queue_id": article.queue_id,
            "category": article.category, "tags": list(article.tags), "owner_id": article.owner_id}


def version_snapshot(version: KbArticleVersion) -> dict[str, Any]:
    return {"version": version.version, "title": version.title, "status": version.status,
            "body_chars": len(version.body), "change_note": version.change_note,
            "author": version.author_name, "reviewer": version.reviewer_name, "review_note": version.review_note}


def record(session: Session, actor: Principal, action: str, article: KbArticle, *, before: Any = None,
           after: Any = None) -> None:
    """One audit event about an article (every kb change goes through here)."""
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action=action,
                 subject_type="kb_article", subject_id=article.id, before=before, after=after)


def check_references(session: Session, *, queue_id: int | None, owner_id: int | None) -> None:
    if queue_id is not None and session.get(Queue, queue_id) is None:
        raise InvalidInput(f"No queue with id {queue_id}.")
    if owner_id is not None and session.get(User, owner_id) is None:
        raise InvalidInput(f"No user with id {owner_id} to own the article.")


def new_version(article: KbArticle, actor: Principal, *, title: str, body: str, change_note: str,
                source_ticket_id: int | None = None) -> KbArticleVersion:
    number = max((v.version for v in article.versions), default=0) + 1
    version = KbArticleVersion(version=number, title=title.strip(), body=body, status=KbVersionStatus.DRAFT,
                               change_note=change_note, author_id=actor.user_id, author_name=actor.username,
                               source_ticket_id=source_ticket_id, created_at=utcnow())
    article.versions.append(version)
    return version


def create(session: Session, *, actor: Principal, data: KbArticleCreate,
           source_ticket_id: int | None = None) -> KbArticle:
    """A new article whose version 1 is a draft."""
    require(actor, Permission.KB_EDIT)
    if session.scalar(select(KbArticle.id).where(KbArticle.slug == data.slug)) is not None:
        raise Conflict(f"An article with slug {data.slug!r} exists; add a version to it instead.")
    check_references(session, queue_id=data.queue_id, owner_id=data.owner_id)
    article = KbArticle(slug=data.slug, title=data.title.strip(), queue_id=data.queue_id, category=data.category,
                        tags=list(dict.fromkeys(data.tags)), owner_id=data.owner_id or actor.user_id,
                        language=data.language, translation_of=data.translation_of,
                        status=KbArticleStatus.DRAFT, created_at=utcnow())
    version = new_version(article, actor, title=data.title, body=data.body, change_note=data.change_note,
                          source_ticket_id=source_ticket_id)
    session.add(article)
    session.flush()
    record(session, actor, "kb.create", article, after=article_snapshot(article) | version_snapshot(version))
    return article


def _visible(actor: Principal) -> Select[KbArticle]:
    query = select(KbArticle)
    return query if sees_unpublished(actor) else query.where(KbArticle.approved_version.is_not(None))


def get(session: Session, *, actor: Principal, article_id: int) -> KbArticle:
    """An article `actor` may see; unpublished articles are invisible to readers (404, not 403)."""
    article = session.scalar(_visible(actor).where(KbArticle.id == article_id))
    if article is None:
        raise NotFound(f"No knowledge-base article with id {article_id}.")
    return article


def get_by_slug(session: Session, *, actor: Principal, slug: str) -> KbArticle:
    article = session.scalar(_visible(actor).where(KbArticle.slug == slug))
    if article is None:
        raise NotFound(f"No knowledge-base article {slug!r}.")
    return article


def current_version(article: KbArticle, *, actor: Principal) -> KbArticleVersion | None:
    """What `actor` should read: the approved version; for writers, the latest when none is approved."""
    if article.approved_version is not None:
        return next(v for v in article.versions if v.version == article.approved_version)
    if sees_unpublished(actor) and article.versions:
        return article.versions[-1]
    return None


def get_all(session: Session, *, actor: Principal, search: str | None = None,
            status: KbArticleStatus | None = None, queue_id: int | None = None, category: str | None = None,
            offset: int = 0, limit: int = 50) -> tuple[list[KbArticle], int]:
    """A page of articles, by title; every search word must appear in the slug, title or a readable body."""
    query = _visible(actor)
    if status is not None:
        query = query.where(KbArticle.status == status)
    if queue_id is not None:
        query = query.where(KbArticle.queue_id == queue_id)
    if category is not None:
        query = query.where(KbArticle.category == category)
    readable = KbArticleVersion.article_id == KbArticle.id
    if not sees_unpublished(actor):
        readable = readable & (KbArticleVersion.version == KbArticle.approved_version)
    for term in (search or "").split()[:8]:
        pattern = f"%{term.lower().replace('%', '').replace('_', '')}%"
        in_body = exists().where(readable, func.lower(KbArticleVersion.body).like(pattern))
        query = query.where(or_(func.lower(KbArticle.title).like(pattern), KbArticle.slug.like(pattern), in_body))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(func.lower(KbArticle.title), KbArticle.id).offset(offset).limit(limit))
    return list(rows), total


def get_versions(session: Session, *, actor: Principal, article_id: int) -> list[KbArticleVersion]:
    """Every version of an article, oldest first (writers and auditors only)."""
    require_unpublished(actor)
    return list(get(session, actor=actor, article_id=article_id).versions)


def get_version(session: Session, *, actor: Principal, article_id: int, version: int) -> KbArticleVersion:
    """One version; readers may fetch only the approved one."""
    article = get(session, actor=actor, article_id=article_id)
    found = next((v for v in article.versions if v.version == version), None)
    if found is None or (found.version != article.approved_version and not sees_unpublished(actor)):
        raise NotFound(f"{article.slug} has no version {version}.")
    return found


def in_review(session: Session, *, actor: Principal, limit: int = 50) -> list[KbArticleVersion]:
    """The versions waiting for a reviewer, longest waiting first (writers, approvers and auditors)."""
    require_unpublished(actor)
    query = (select(KbArticleVersion).where(KbArticleVersion.status == KbVersionStatus.IN_REVIEW)
             .order_by(KbArticleVersion.submitted_at, KbArticleVersion.id).limit(limit))
    return list(session.scalars(query))


def add_version(session: Session, *, actor: Principal, article_id: int, data: KbVersionCreate) -> KbArticleVersion:
    """A new draft version; refused while another version is still a draft or in review."""
    require(actor, Permission.KB_EDIT)
    article = get(session, actor=actor, article_id=article_id)
    pending = next((v for v in article.versions if v.status in OPEN_STATUSES), None)
    if pending is not None:
        raise Conflict(f"{article.slug} v{pending.version} is still {pending.status}; edit, approve or reject "
                       "it before starting another version.")
    version = new_version(article, actor, title=data.title or article.title, body=data.body,
                          change_note=data.change_note)
    session.flush()
    record(session, actor, "kb.version", article, after=version_snapshot(version))
    return version


def update_draft(session: Session, *, actor: Principal, article_id: int, version: int,
                 data: KbVersionUpdate) -> KbArticleVersion:
    """Edit a version that is still a draft (a version in review is frozen until rejected)."""
    require(actor, Permission.KB_EDIT)
    found = get_version(session, actor=actor, article_id=article_id, version=version)
    if found.status is not KbVersionStatus.DRAFT:
        raise Conflict(f"{found.article.slug} v{version} is {found.status}; only drafts can be edited.")
    before = version_snapshot(found)
    for field, value in data.model_dump(exclude_unset=True).items():
        if value is None:
            raise InvalidInput(f"{field} cannot be empty.")
        setattr(found, field, value.strip() if field == "title" else value)
    session.flush()
    record(session, actor, "kb.edit_draft", found.article, before=before, after=version_snapshot(found))
    return found


def diff(session: Session, *, actor: Principal, article_id: int, from_version: int, to_version: int) -> str:
    """A unified diff (title and body) between two versions of one article."""
    require_unpublished(actor)
    old = get_version(session, actor=actor, article_id=article_id, version=from_version)
    new = get_version(session, actor=actor, article_id=article_id, version=to_version)
    slug = old.article.slug
    lines = difflib.unified_diff(
        [f"# {old.title}", "", *old.body.splitlines()], [f"# {new.title}", "", *new.body.splitlines()],
        fromfile=f"{slug} v{from_version}", tofile=f"{slug} v{to_version}", lineterm="")
    return "\n".join(lines)


@dataclass(frozen=True)
class ApprovedDocument:
    """One approved article version, as the retrieval index takes it."""

    slug: str
    version: int
    title: str
    text: str
    url: str
    queue_id: int | None
    category: str | None
    tags: tuple[str, ...]
    language: str = "en"
    translation_of: str | None = None


def document_url(slug: str, version: int) -> str:
    return f"/api/v1/kb/articles/by-slug/{slug}?version={version}"


def approved_documents(session: Session, *, slugs: list[str] | None = None) -> list[ApprovedDocument]:
    """The approved version of every published article (or of `slugs`): the only text answers may use."""
    query = (select(KbArticle, KbArticleVersion)
             .join(KbArticleVersion, (KbArticleVersion.article_id == KbArticle.id)
                   & (KbArticleVersion.version == KbArticle.approved_version))
             .where(KbArticle.status == KbArticleStatus.PUBLISHED,
                    KbArticleVersion.status == KbVersionStatus.APPROVED))
    if slugs is not None:
        query = query.where(KbArticle.slug.in_(slugs))
    return [ApprovedDocument(slug=a.slug, version=v.version, title=v.title, text=v.body,
                             url=document_url(a.slug, v.version), queue_id=a.queue_id, category=a.category,
                             tags=tuple(a.tags), language=a.language, translation_of=a.translation_of)
            for a, v in session.execute(query.order_by(KbArticle.slug))]


# Published articles with an approved version: the only ones answers may cite and the index may hold.
_APPROVED = (KbArticle.status == KbArticleStatus.PUBLISHED, KbArticle.approved_version.is_not(None))


def approved_versions_and_tags(session: Session) -> dict[str, tuple[int, tuple[str, ...]]]:
    """slug → (approved version, tags) of every published article with an approved version, in one query:
    tags belong to the article, not to a version, so an index checks them beside the versions."""
    query = select(KbArticle.slug, KbArticle.approved_version, KbArticle.tags).where(*_APPROVED)
    return {slug: (version, tuple(tags or ())) for slug, version, tags in session.execute(query)
            if version is not None}


def approved_versions(session: Session) -> dict[str, int]:
    """slug → approved version number, for checking an index or a citation against the database."""
    query = select(KbArticle.slug, KbArticle.approved_version).where(*_APPROVED)
    return {slug: version for slug, version in session.execute(query) if version is not None}
