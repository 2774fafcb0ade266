"""Importing articles: a folder (or uploaded files) of Markdown / HTML / PDF, and CSV `doc_id,title,text`.

Parsing is pure (`parse_file`); `import_documents` validates the whole batch before writing anything,
so a bad file or row is named in an InvalidInput and nothing is imported. A slug that already exists
gets a new version when its title or text changed and is left alone otherwise, so re-running an
import is safe. Article metadata (queue, category, tags, owner) is taken only when an article is created.
"""

from __future__ import annotations

import base64
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import User
from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.errors import InvalidInput, PermissionDenied, TooLarge
from deskpilot.kb import front_matter, service, workflow
from deskpilot.kb.html_text import html_to_text
from deskpilot.kb.models import KbArticle, KbArticleVersion
from deskpilot.kb.pdf_text import pdf_to_text
from deskpilot.kb.schemas import (
    MAX_IMPORT_FILE_CHARS,
    MAX_IMPORT_FILES,
    KbArticleCreate,
    KbImportFile,
    KbImportResult,
    KbVersionCreate,
)
from deskpilot.safe_csv import restore
from deskpilot.tickets.models import Queue

CSV_COLUMNS = ["doc_id", "title", "text"]
SUFFIXES = (".md", ".markdown", ".html", ".htm", ".csv", ".pdf")


@dataclass(frozen=True)
class ImportedDocument:
    """One article read from a file; `source` names the file (and row) for error messages."""

    source: str
    slug: str
    title: str
    body: str
    queue: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    owner: str | None = None
    language: str = "en"
    translation_of: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def slugify(text: str, *, max_length: int = 120) -> str:
    """`text` as a slug (lower-case words joined by '-') of at most `max_length` characters."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:max_length].strip("-")


def _without_title_heading(body: str, title: str) -> str:
    lines = body.strip().splitlines()
    if lines and lines[0].startswith("# ") and lines[0][2:].strip() == title:
        return "\n".join(lines[1:]).strip()
    return body.strip()


def parse_markdown(source: str, text: str) -> ImportedDocument:
    """A Markdown article, with optional front matter; without it the slug comes from the file name."""
    meta: dict[str, Any] = {}
    body = text
    if text.lstrip("\ufeff").startswith("---"):
        raw, body = front_matter.split(source, text.lstrip("\ufeff"))
        meta = front_matter.parse(source, raw)
    heading = re.search(r"^# (.+)$", body, re.M)
    title = meta.get("title") or (heading.group(1).strip() if heading else Path(source).stem.replace("-", " "))
    return ImportedDocument(source=source, slug=meta.get("slug") or slugify(Path(source).stem), title=title,
                            body=_without_title_heading(body, title), queue=meta.get("queue"),
                            category=meta.get("category"), tags=tuple(meta.get("tags", [])),
                            owner=meta.get("owner"), language=meta.get("language") or "en",
                            translation_of=meta.get("translation_of"))


def parse_html(source: str, text: str) -> ImportedDocument:
    """An HTML page: title from <title> or the first <h1>; headings and lists kept as Markdown."""
    title, body = html_to_text(text)
    return ImportedDocument(source=source, slug=slugify(Path(source).stem), title=title or Path(source).stem,
                            body=_without_title_heading(body, title))


def parse_pdf(source: str, data: bytes) -> ImportedDocument:
    """A PDF (a manual): title from its metadata or first heading; headings, steps and paragraphs kept."""
    title, body = pdf_to_text(source, data)
    return ImportedDocument(source=source, slug=slugify(Path(source).stem), title=title or Path(source).stem,
                            body=_without_title_heading(body, title))


def parse_csv(source: str, text: str) -> list[ImportedDocument]:
    """Rows of `doc_id,title,text` (cells neutralised by our CSV export are restored); doc_id → slug."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader, None)
        if header is None or [h.strip() for h in header] != CSV_COLUMNS:
            raise InvalidInput(f"{source}: the first line must be the header {','.join(CSV_COLUMNS)} "
                               f"(got {','.join(header or [])!r}).")
        documents = []
        for row in reader:
            where = f"{source} row {reader.line_num}"
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(CSV_COLUMNS):
                raise InvalidInput(f"{where}: expected {len(CSV_COLUMNS)} columns, found {len(row)}.")
            doc_id, title, body = (restore(cell.strip()) for cell in row)
            documents.append(ImportedDocument(source=where, slug=slugify(doc_id), title=title, body=body))
    except csv.Error as exc:
        raise InvalidInput(f"{source} row {reader.line_num}: not valid CSV ({exc}).") from exc
    return documents


def parse_file(name: str, content: str) -> list[ImportedDocument]:
    """The articles in one text file, by its suffix (.md/.markdown, .html/.htm, .csv); see `parse_bytes`."""
    suffix = Path(name).suffix.lower()
    if suffix == ".pdf":
        raise InvalidInput(f"{name}: a PDF is binary; send its bytes base64-encoded (encoding \"base64\").")
    if suffix in (".md", ".markdown"):
        return [parse_markdown(name, content)]
    if suffix in (".html", ".htm"):
        return [parse_html(name, content)]
    if suffix == ".csv":
        return parse_csv(name, content)
    raise InvalidInput(f"{name}: unsupported file type {suffix or '(none)'}; use {', '.join(SUFFIXES)}.")


def parse_bytes(name: str, data: bytes) -> list[ImportedDocument]:
    """The articles in one file given as bytes: a PDF is parsed as such, any other file must be UTF-8 text."""
    if Path(name).suffix.lower() == ".pdf":
        return [parse_pdf(name, data)]
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{name}: not UTF-8 text (byte {exc.start}); nothing was imported.") from exc
    return parse_file(name, content)


def _decoded(file: KbImportFile) -> list[ImportedDocument]:
    if file.encoding == "text":
        return parse_file(file.filename, file.content)
    try:
        data = base64.b64decode(file.content, validate=True)
    except ValueError as exc:  # binascii.Error, or a character outside ASCII
        raise InvalidInput(f"{file.filename}: the content is not valid base64 ({exc}).") from exc
    return parse_bytes(file.filename, data)


def parse_upload(files: list[KbImportFile]) -> list[ImportedDocument]:
    """The articles in uploaded files, refused as a whole when there are too many files or one is too large."""
    if len(files) > MAX_IMPORT_FILES:
        raise TooLarge(f"{len(files)} files in one import; send at most {MAX_IMPORT_FILES} at a time.")
    for file in files:
        if len(file.content) > MAX_IMPORT_FILE_CHARS:
            raise TooLarge(f"{file.filename} has {len(file.content):,} characters; a file may have at most "
                           f"{MAX_IMPORT_FILE_CHARS:,}. Split it into smaller articles.")
    return [doc for file in files for doc in _decoded(file)]


def read_folder(path: Path) -> list[ImportedDocument]:
    """Every supported file under `path` (or the single file `path`), in name order."""
    if not path.exists():
        raise InvalidInput(f"{path}: no such file or folder.")
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES)
    documents: list[ImportedDocument] = []
    for file in files:
        documents.extend(parse_bytes(str(file.relative_to(path) if path.is_dir() else file.name), file.read_bytes()))
    return documents


def _resolve(session: Session, documents: list[ImportedDocument]) -> list[tuple[ImportedDocument, KbArticleCreate]]:
    """Check the whole batch and turn each document into a validated create request."""
    queues = {q.name: q.id for q in session.scalars(select(Queue))}
    owners = {u.username: u.id for u in session.scalars(select(User))}
    seen: dict[str, str] = {}
    checked = []
    for doc in documents:
        if doc.slug in seen:
            raise InvalidInput(f"{doc.source}: slug {doc.slug!r} also comes from {seen[doc.slug]}.")
        seen[doc.slug] = doc.source
        if doc.queue is not None and doc.queue not in queues:
            raise InvalidInput(f"{doc.source}: no queue named {doc.queue!r}.")
        if doc.owner is not None and doc.owner not in owners:
            raise InvalidInput(f"{doc.source}: no user {doc.owner!r} to own the article.")
        try:
            data = KbArticleCreate(slug=doc.slug, title=doc.title, body=doc.body, category=doc.category,
                                   tags=list(doc.tags), queue_id=queues.get(doc.queue or ""),
                                   owner_id=owners.get(doc.owner or ""), change_note=f"imported from {doc.source}",
                                   language=doc.language, translation_of=doc.translation_of)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'document'}: {e['msg']}" for e in exc.errors()[:3])
            raise InvalidInput(f"{doc.source}: {problems}.") from exc
        _check_no_pending_version(session, doc)
        checked.append((doc, data))
    return checked


def _same_text(version: KbArticleVersion, title: str, body: str) -> bool:
    """Whether a file says what a stored version says (surrounding whitespace does not count)."""
    return (version.title.strip(), version.body.strip()) == (title.strip(), body.strip())


def _check_no_pending_version(session: Session, doc: ImportedDocument) -> None:
    article = session.scalar(select(KbArticle).where(KbArticle.slug == doc.slug))
    pending = next((v for v in article.versions if v.status in service.OPEN_STATUSES), None) if article else None
    if article is not None and pending is not None and not _same_text(article.versions[-1], doc.title, doc.body):
        raise InvalidInput(f"{doc.source}: {doc.slug} v{pending.version} is still {pending.status}; approve or "
                           "reject it before importing a new version.")


def authorize_import(actor: Principal, *, approve: bool = False) -> None:
    """Refuse an import `actor` may not do; call it before reading or parsing an upload, which costs CPU."""
    require(actor, Permission.KB_EDIT)
    if approve and actor.role is not Role.ADMIN:
        raise PermissionDenied("Publishing on import skips the review; only admins may do it. Import the "
                               "articles as drafts and submit them for review instead.")


def import_documents(session: Session, *, actor: Principal, documents: list[ImportedDocument],
                     approve: bool = False) -> KbImportResult:
    """Create or version every document; with `approve`, publish them at once (approvers only)."""
    authorize_import(actor, approve=approve)
    if not documents:
        raise InvalidInput("No articles found to import (.md, .markdown, .html, .htm, .csv or .pdf files).")
    checked = _resolve(session, documents)
    result = KbImportResult(created=[], updated=[], unchanged=[])
    for doc, data in checked:
        article = session.scalar(select(KbArticle).where(KbArticle.slug == doc.slug))
        if article is None:
            article = service.create(session, actor=actor, data=data)
            result.created.append(doc.slug)
        elif _same_text(article.versions[-1], data.title, data.body):
            result.unchanged.append(doc.slug)
            continue
        else:
            service.add_version(session, actor=actor, article_id=article.id, data=KbVersionCreate(
                title=data.title, body=data.body, change_note=data.change_note))
            result.updated.append(doc.slug)
        if approve:
            number = article.versions[-1].version
            workflow.submit(session, actor=actor, article_id=article.id, version=number)
            workflow.approve(session, actor=actor, article_id=article.id, version=number, note="approved on import")
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="kb.import",
                 subject_type="kb_article", subject_id="*", after=result.model_dump() | {"approve": approve})
    return result
