"""/api/v1/kb: knowledge-base articles, their versions and the review workflow over HTTP."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from deskpilot.accounts.principal import Principal
from deskpilot.api.body_limits import MAX_JSON_DEPTH, json_depth_exceeds
from deskpilot.api.deps import MAX_ID, CurrentPrincipal, IdPath, Limit, Offset, RuntimeDep, SessionDep
from deskpilot.api.openapi import json_body
from deskpilot.api.routes.assist import refresh_index
from deskpilot.errors import InvalidInput, TooLarge
from deskpilot.governance import kb_changes
from deskpilot.kb import export, importer, service, workflow
from deskpilot.kb.enums import KbArticleStatus
from deskpilot.kb.from_ticket import draft_from_ticket
from deskpilot.kb.models import KbArticle
from deskpilot.kb.schemas import (
    MAX_IMPORT_BYTES,
    SLUG_PATTERN,
    KbApproval,
    KbArticleCreate,
    KbArticlePage,
    KbArticleRead,
    KbDiff,
    KbImportRequest,
    KbImportResult,
    KbReview,
    KbVersionCreate,
    KbVersionRead,
    KbVersionSummary,
    KbVersionUpdate,
)

router = APIRouter(prefix="/api/v1/kb", tags=["knowledge base"])
# The import reads its own body once the caller may import (`_import_request`), bounded to MAX_IMPORT_BYTES.
IMPORT_PATH = "/api/v1/kb/import"
A = "/articles/{article_id}"
V = A + "/versions/{version}"
VersionPath = Annotated[int, Path(ge=1, le=MAX_ID)]
VersionQuery = Annotated[int, Query(ge=1, le=MAX_ID)]


def _read(article: KbArticle, actor: Principal) -> KbArticleRead:
    current = service.current_version(article, actor=actor)
    return KbArticleRead.model_validate(article).model_copy(
        update={"current": KbVersionRead.model_validate(current) if current else None})


@router.get("/articles", operation_id="list_kb_articles")
def list_articles(
    session: SessionDep, actor: CurrentPrincipal, offset: Offset = 0, limit: Limit = 50,
    q: Annotated[str | None, Query(max_length=200, description="words that must all appear")] = None,
    status: KbArticleStatus | None = None, queue_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    category: Annotated[str | None, Query(max_length=120)] = None,
) -> KbArticlePage:
    rows, total = service.get_all(session, actor=actor, search=(q or "").replace("\x00", ""), status=status,
                                  queue_id=queue_id, category=category, offset=offset, limit=limit)
    return KbArticlePage(items=[_read(a, actor) for a in rows], total=total, offset=offset, limit=limit)


@router.post("/articles", status_code=status.HTTP_201_CREATED, operation_id="create_kb_article")
def create_article(data: KbArticleCreate, session: SessionDep, actor: CurrentPrincipal) -> KbArticleRead:
    return _read(service.create(session, actor=actor, data=data), actor)


@router.post("/articles/from-ticket/{ticket_id}", status_code=status.HTTP_201_CREATED,
             operation_id="draft_kb_article_from_ticket")
def draft_article_from_ticket(ticket_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> KbArticleRead:
    """Draft an article (problem, steps, resolution) from a resolved ticket, PII removed; it enters review."""
    return _read(draft_from_ticket(session, actor=actor, ticket_id=ticket_id).article, actor)


@router.get("/articles/by-slug/{slug}", operation_id="get_kb_article_by_slug")
def get_article_by_slug(slug: Annotated[str, Path(max_length=120, pattern=SLUG_PATTERN)], session: SessionDep,
                        actor: CurrentPrincipal, version: VersionQuery | None = None) -> KbArticleRead:
    """An article by slug; `version` picks a version (what a citation like [slug v3] points at)."""
    article = service.get_by_slug(session, actor=actor, slug=slug)
    read = _read(article, actor)
    if version is None:
        return read
    chosen = service.get_version(session, actor=actor, article_id=article.id, version=version)
    return read.model_copy(update={"current": KbVersionRead.model_validate(chosen)})


@router.get(A, operation_id="get_kb_article")
def get_article(article_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> KbArticleRead:
    return _read(service.get(session, actor=actor, article_id=article_id), actor)


@router.get(A + "/versions", operation_id="list_kb_article_versions")
def list_versions(article_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> list[KbVersionSummary]:
    return [KbVersionSummary.model_validate(v)
            for v in service.get_versions(session, actor=actor, article_id=article_id)]


@router.post(A + "/versions", status_code=status.HTTP_201_CREATED, operation_id="create_kb_article_version")
def create_version(article_id: IdPath, data: KbVersionCreate, session: SessionDep,
                   actor: CurrentPrincipal) -> KbVersionRead:
    return KbVersionRead.model_validate(service.add_version(session, actor=actor, article_id=article_id, data=data))


@router.get(V, operation_id="get_kb_article_version")
def get_version(article_id: IdPath, version: VersionPath, session: SessionDep,
                actor: CurrentPrincipal) -> KbVersionRead:
    return KbVersionRead.model_validate(service.get_version(session, actor=actor, article_id=article_id,
                                                            version=version))


@router.patch(V, operation_id="update_kb_article_draft")
def update_draft(article_id: IdPath, version: VersionPath, data: KbVersionUpdate, session: SessionDep,
                 actor: CurrentPrincipal) -> KbVersionRead:
    return KbVersionRead.model_validate(service.update_draft(session, actor=actor, article_id=article_id,
                                                             version=version, data=data))


@router.post(V + "/submit", operation_id="submit_kb_article_version")
def submit_version(article_id: IdPath, version: VersionPath, session: SessionDep,
                   actor: CurrentPrincipal) -> KbVersionRead:
    return KbVersionRead.model_validate(workflow.submit(session, actor=actor, article_id=article_id,
                                                        version=version))


@router.post(V + "/approve", operation_id="approve_kb_article_version")
def approve_version(article_id: IdPath, version: VersionPath, data: KbApproval, session: SessionDep,
                    actor: CurrentPrincipal, request: Request, tasks: BackgroundTasks, ai: RuntimeDep) -> KbVersionRead:
    """Publish a version in review through the replay gate (a change set of one; 409 when it refuses, unless an
    override reason is given); its chunks replace the old version's in the index after the commit."""
    versions = kb_changes.versions_of(session, actor=actor, refs=[(article_id, version)])
    kb_changes.approve(session, actor=actor, settings=ai.settings, embedder=ai.embedder,
                       index=lambda: ai.kb.current(session), versions=versions, note=data.note,
                       override_reason=data.override_reason)
    tasks.add_task(refresh_index, request.app)
    return KbVersionRead.model_validate(versions[0])


@router.post(V + "/reject", operation_id="reject_kb_article_version")
def reject_version(article_id: IdPath, version: VersionPath, data: KbReview, session: SessionDep,
                   actor: CurrentPrincipal) -> KbVersionRead:
    return KbVersionRead.model_validate(workflow.reject(session, actor=actor, article_id=article_id,
                                                        version=version, reason=data.reason))


@router.post(A + "/retire", operation_id="retire_kb_article")
def retire_article(article_id: IdPath, data: KbReview, session: SessionDep, actor: CurrentPrincipal,
                   request: Request, tasks: BackgroundTasks) -> KbArticleRead:
    """Withdraw an article; its chunks leave the index after the commit."""
    retired = workflow.retire(session, actor=actor, article_id=article_id, reason=data.reason)
    tasks.add_task(refresh_index, request.app)
    return _read(retired, actor)


@router.get(A + "/diff", operation_id="diff_kb_article_versions")
def diff_versions(article_id: IdPath, from_version: VersionQuery, to_version: VersionQuery, session: SessionDep,
                  actor: CurrentPrincipal) -> KbDiff:
    text = service.diff(session, actor=actor, article_id=article_id, from_version=from_version,
                        to_version=to_version)
    article = service.get(session, actor=actor, article_id=article_id)
    return KbDiff(article_id=article.id, slug=article.slug, from_version=from_version, to_version=to_version,
                  diff=text)


async def _import_request(request: Request, actor: CurrentPrincipal) -> KbImportRequest:
    """The upload, read only once `actor` may import and only up to MAX_IMPORT_BYTES."""
    importer.authorize_import(actor)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_IMPORT_BYTES:
        raise TooLarge(f"The upload has {int(declared):,} bytes; an import may have at most {MAX_IMPORT_BYTES:,}.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_IMPORT_BYTES:
            raise TooLarge(f"The upload is larger than {MAX_IMPORT_BYTES:,} bytes; import fewer files at a time.")
    if json_depth_exceeds(bytes(body), MAX_JSON_DEPTH):
        raise InvalidInput(f"The upload nests deeper than {MAX_JSON_DEPTH} levels; no import needs that.")
    try:
        return KbImportRequest.model_validate_json(bytes(body))
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from exc


@router.post("/import", operation_id="import_kb_articles", openapi_extra=json_body(KbImportRequest))
def import_articles(data: Annotated[KbImportRequest, Depends(_import_request)], session: SessionDep,
                    actor: CurrentPrincipal, request: Request, tasks: BackgroundTasks) -> KbImportResult:
    """Import Markdown (front matter optional), HTML, PDF (base64) and CSV `doc_id,title,text` files; all or nothing."""
    importer.authorize_import(actor, approve=data.approve)
    documents = importer.parse_upload(data.files)
    result = importer.import_documents(session, actor=actor, documents=documents, approve=data.approve)
    if data.approve:
        tasks.add_task(refresh_index, request.app)
    return result


@router.get("/export", operation_id="export_kb_articles",
            responses={200: {"content": {"text/csv": {}, "application/zip": {}}}})
def export_articles(session: SessionDep, actor: CurrentPrincipal,
                    fmt: Annotated[str, Query(alias="format", pattern="^(csv|markdown)$")] = "csv") -> Response:
    """The approved articles as CSV `doc_id,title,text`, or as a zip of Markdown files with front matter."""
    if fmt == "csv":
        return Response(export.csv_text(session, actor=actor), media_type="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="kb.csv"'})
    return Response(export.markdown_zip(session, actor=actor), media_type="application/zip",
                    headers={"Content-Disposition": 'attachment; filename="kb-markdown.zip"'})
