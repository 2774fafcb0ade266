"""Exporting the approved knowledge base: Markdown files with front matter, or CSV `doc_id,title,text`.

Both formats are what `importer` reads, so an export imports back unchanged.
"""

from __future__ import annotations

import io
import zipfile

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.models import User
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.kb.access import require_unpublished
from deskpilot.kb.importer import CSV_COLUMNS
from deskpilot.kb.models import KbArticle
from deskpilot.kb.service import approved_documents
from deskpilot.safe_csv import SafeCsvWriter
from deskpilot.tickets.models import Queue


def _audit(session: Session, actor: Principal, fmt: str, count: int) -> None:
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="kb.export",
                 subject_type="kb_article", subject_id="*", after={"format": fmt, "articles": count})


def markdown_files(session: Session, *, actor: Principal) -> list[tuple[str, str]]:
    """(file name, content) per published article: its approved version with YAML front matter."""
    require_unpublished(actor)
    queues = {q.id: q.name for q in session.scalars(select(Queue))}
    owners = {slug: username for slug, username in
              session.execute(select(KbArticle.slug, User.username).join(User, User.id == KbArticle.owner_id))}
    files = []
    for doc in approved_documents(session):
        meta = {"slug": doc.slug, "title": doc.title, "queue": queues.get(doc.queue_id or 0),
                "category": doc.category, "tags": list(doc.tags), "owner": owners.get(doc.slug)}
        front = yaml.safe_dump({k: v for k, v in meta.items() if v not in (None, [])}, sort_keys=False,
                               allow_unicode=True)
        files.append((f"{doc.slug}.md", f"---\n{front}---\n{doc.text.rstrip()}\n"))
    _audit(session, actor, "markdown", len(files))
    return files


def markdown_zip(session: Session, *, actor: Principal) -> bytes:
    """The Markdown export as one zip archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in markdown_files(session, actor=actor):
            archive.writestr(name, content)
    return buffer.getvalue()


def csv_text(session: Session, *, actor: Principal) -> str:
    """The approved articles as CSV with the header `doc_id,title,text`, safe to open in a spreadsheet."""
    require_unpublished(actor)
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    documents = approved_documents(session)
    for doc in documents:
        writer.writerow([doc.slug, doc.title, doc.text])
    _audit(session, actor, "csv", len(documents))
    return buffer.getvalue()
