"""Keeping the retrieval index equal to the approved knowledge base.

The database is the source of truth; the index (a directory under `Settings.index_dir`) is a cache of
it. `sync` compares the index with the approved versions and applies the difference: an approved new
version replaces the article's chunks, a retired article's chunks are removed. Syncing before every use
(rather than only in the approve/retire request) keeps the index right when a transaction rolls back
after the change, and when another process approved or retired something.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.errors import InvalidInput
from deskpilot.kb.service import ApprovedDocument, approved_documents, approved_versions
from deskpilot.ml.embeddings import Embedder

log = logging.getLogger(__name__)
INDEX_SUBDIR = "kb"


@dataclass(frozen=True)
class IndexChanges:
    added: list[str]
    removed: list[str]

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)


def index_path(index_dir: Path) -> Path:
    return index_dir / INDEX_SUBDIR


def as_index_document(document: ApprovedDocument) -> KbDocument:
    return KbDocument(slug=document.slug, version=document.version, title=document.title, text=document.text,
                      url=document.url)


def sync(session: Session, *, index: KbIndex) -> IndexChanges:
    """Bring `index` in line with the approved versions in the database; returns what changed."""
    approved = approved_versions(session)
    indexed = {slug: doc.version for slug, doc in index.documents.items()}
    stale = sorted(slug for slug in indexed if slug not in approved)
    changed = sorted(slug for slug, version in approved.items() if indexed.get(slug) != version)
    if stale:
        index.remove_documents(stale)
    if changed:
        index.add_documents(as_index_document(d) for d in approved_documents(session, slugs=changed))
    return IndexChanges(added=changed, removed=stale)


def save(index: KbIndex, index_dir: Path) -> None:
    """Write the index beside the old one, then swap, so a reader never loads a half-written index."""
    target = index_path(index_dir)
    fresh = target.with_name(f"{target.name}.new-{os.getpid()}-{threading.get_ident()}")
    old = target.with_name(f"{target.name}.old-{os.getpid()}-{threading.get_ident()}")
    shutil.rmtree(fresh, ignore_errors=True)
    index.save(fresh)
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def rebuild(session: Session, *, index_dir: Path, embedder: Embedder) -> KbIndex:
    """A new index of every approved version, saved under `index_dir` (`deskpilot kb reindex`)."""
    index = KbIndex(embedder)
    index.add_documents(as_index_document(d) for d in approved_documents(session))
    save(index, index_dir)
    log.info("KB index rebuilt: %d articles, %d chunks", len(index), len(index.chunks))
    return index


def load_or_rebuild(session: Session, *, index_dir: Path, embedder: Embedder) -> KbIndex:
    """The saved index brought up to date, or a rebuilt one when none is saved or it cannot be read."""
    try:
        index = KbIndex.load(index_path(index_dir), embedder)
    except (InvalidInput, OSError, ValueError, KeyError) as exc:
        log.info("KB index not loaded (%s); rebuilding", exc)
        return rebuild(session, index_dir=index_dir, embedder=embedder)
    if sync(session, index=index):
        save(index, index_dir)
    return index


class IndexHolder:
    """One process's index: loaded on first use, synced with the database before each use."""

    def __init__(self, index_dir: Path, embedder: Callable[[], Embedder]) -> None:
        self.index_dir = index_dir
        self._embedder = embedder
        self._index: KbIndex | None = None
        self._lock = threading.Lock()

    def current(self, session: Session) -> KbIndex:
        """The index, equal to the approved versions `session` sees."""
        with self._lock:
            if self._index is None:
                self._index = load_or_rebuild(session, index_dir=self.index_dir, embedder=self._embedder())
            elif changes := sync(session, index=self._index):
                log.info("KB index updated: +%s -%s", changes.added, changes.removed)
                save(self._index, self.index_dir)
            return self._index
