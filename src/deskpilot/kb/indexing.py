"""Keeping the retrieval index equal to the approved knowledge base.

The database is the source of truth; the index (a directory under `Settings.index_dir`) is a cache of
it. `sync` compares the index with the approved versions and applies the difference: an approved new
version replaces the article's chunks, a retired article's chunks are removed. Syncing before every use
(rather than only in the approve/retire request) keeps the index right when a transaction rolls back
after the change, and when another process approved or retired something.

The index also learns from the desk's history (`kb.history`): confirmed deflections and resolved tickets
citing an article become past questions that vote for it. `learn` reconciles the index's past questions
with the database: it embeds only questions not yet learned (at most `MAX_NEW_QUESTIONS` per call) and
forgets those whose source stopped counting (article retired, ticket reopened, beyond the newest
`history.MAX_PER_KIND`). An `IndexHolder` learns at most every `HISTORY_REFRESH_SECONDS` (and whenever
the articles changed), and then writes only the index's `history/` directory, not the whole index.
"""

from __future__ import annotations

import copy
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from deskpilot.assist.dialogue import RetrievalQuery
from deskpilot.assist.history import PastQuestion
from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.kb import history
from deskpilot.kb.service import ApprovedDocument, approved_documents, approved_versions
from deskpilot.ml.artifacts import MANIFEST, ArtifactRefused
from deskpilot.ml.embedding_cache import EmbeddingCache, Progress
from deskpilot.ml.embeddings import Embedder
from deskpilot.ml.multilingual import PassageEmbedder

log = logging.getLogger(__name__)
INDEX_SUBDIR = "kb"
EMBEDDINGS_SUBDIR = "embeddings"
HISTORY_SUBDIR = "history"
HISTORY_REFRESH_SECONDS = 60.0
MAX_NEW_QUESTIONS = 256


@dataclass(frozen=True)
class IndexChanges:
    added: list[str]
    removed: list[str]

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)


@dataclass(frozen=True)
class HistoryChanges:
    learned: int
    forgotten: int
    waiting: int

    def __bool__(self) -> bool:
        return bool(self.learned or self.forgotten)


def index_path(index_dir: Path) -> Path:
    return index_dir / INDEX_SUBDIR


def as_index_document(document: ApprovedDocument) -> KbDocument:
    return KbDocument(slug=document.slug, version=document.version, title=document.title, text=document.text,
                      url=document.url, language=document.language, translation_of=document.translation_of)


def article_changes(session: Session, *, index: KbIndex) -> IndexChanges:
    """What `sync` would change in `index` (nothing is changed)."""
    approved = approved_versions(session)
    indexed = {slug: doc.version for slug, doc in index.documents.items()}
    stale = sorted(slug for slug in indexed if slug not in approved)
    changed = sorted(slug for slug, version in approved.items() if indexed.get(slug) != version)
    return IndexChanges(added=changed, removed=stale)


def _apply_articles(session: Session, index: KbIndex, changes: IndexChanges) -> None:
    if changes.removed:
        index.remove_documents(changes.removed)
    if changes.added:
        index.add_documents(as_index_document(d) for d in approved_documents(session, slugs=changes.added))


def sync(session: Session, *, index: KbIndex) -> IndexChanges:
    """Bring `index` in line with the approved versions in the database; returns what changed."""
    changes = article_changes(session, index=index)
    _apply_articles(session, index, changes)
    return changes


@dataclass(frozen=True)
class HistoryPlan:
    """Past questions to forget (their source stopped counting) and to learn (key → article)."""

    gone: list[str]
    new: dict[str, str]

    def __bool__(self) -> bool:
        return bool(self.gone or self.new)


def history_plan(session: Session, *, index: KbIndex) -> HistoryPlan:
    """What `learn` would change in `index`'s past questions (nothing is changed)."""
    answering = history.answering_articles(session, approved=approved_versions(session))
    answering = {key: slug for key, slug in answering.items() if slug in index.documents}
    learned = index.history.learned()
    return HistoryPlan(gone=[key for key, slug in learned.items() if answering.get(key) != slug],
                       new={key: slug for key, slug in answering.items() if key not in learned})


def _apply_history(session: Session, index: KbIndex, plan: HistoryPlan, max_new: int | None) -> HistoryChanges:
    index.history.remove(plan.gone)
    batch = dict(list(plan.new.items())[:max_new]) if max_new is not None else plan.new
    questions = history.answered_questions(session, answering=batch)
    index.history.add([PastQuestion(RetrievalQuery(q.question), q.slug, key=q.key) for q in questions])
    return HistoryChanges(learned=len(questions), forgotten=len(plan.gone), waiting=len(plan.new) - len(batch))


def learn(session: Session, *, index: KbIndex, max_new: int | None = MAX_NEW_QUESTIONS) -> HistoryChanges:
    """Bring the index's past questions in line with the desk's history; call after `sync`.

    At most `max_new` questions are embedded per call (None: all), newest first; the rest wait for the next.
    """
    return _apply_history(session, index, history_plan(session, index=index), max_new)


def _copy(index: KbIndex) -> KbIndex:
    """A private copy to change while other threads keep searching the current one (the model is shared)."""
    return copy.deepcopy(index, memo={id(index.embedder): index.embedder})


def _swap_in(target: Path, write: Callable[[Path], None]) -> None:
    """Write beside `target`, then swap, so a reader never loads a half-written directory."""
    fresh = target.with_name(f"{target.name}.new-{os.getpid()}-{threading.get_ident()}")
    old = target.with_name(f"{target.name}.old-{os.getpid()}-{threading.get_ident()}")
    shutil.rmtree(fresh, ignore_errors=True)
    write(fresh)
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def save(index: KbIndex, index_dir: Path) -> None:
    """Write the whole index under `index_dir`, swapped in at once."""
    _swap_in(index_path(index_dir), index.save)


def save_history(index: KbIndex, index_dir: Path) -> None:
    """Write only the index's past questions (the articles' chunks did not change)."""
    if not (index_path(index_dir) / MANIFEST).is_file():
        save(index, index_dir)
        return
    _swap_in(index_path(index_dir) / HISTORY_SUBDIR, index.history.save)


def rebuild(session: Session, *, index_dir: Path, embedder: Embedder,
            multilingual: PassageEmbedder | None = None, ann_min_chunks: int | None = None,
            progress: Progress | None = None) -> KbIndex:
    """A new index of every approved version and the desk's history, saved under `index_dir` (`kb reindex`).

    Chunk vectors come from the embedding cache under `index_dir` (`ml.embedding_cache`): a rebuild that was
    stopped resumes from the batches it had embedded, and text embedded before is not embedded again.
    `progress(done, total)` follows the embedding batch by batch.
    """
    index = KbIndex(embedder, multilingual=multilingual, ann_min_chunks=ann_min_chunks)
    index.embedding_cache = EmbeddingCache(index_dir / EMBEDDINGS_SUBDIR, embedder, progress=progress)
    index.add_documents(as_index_document(d) for d in approved_documents(session))
    index.embedding_cache = None
    learn(session, index=index, max_new=None)
    save(index, index_dir)
    log.info("KB index rebuilt: %d articles, %d chunks, %d past questions", len(index), len(index.chunks),
             len(index.history))
    return index


def load_or_rebuild(session: Session, *, index_dir: Path, embedder: Embedder,
                    multilingual: PassageEmbedder | None = None, ann_min_chunks: int | None = None) -> KbIndex:
    """The saved index brought up to date, or a rebuilt one when none is saved or it cannot be read."""
    try:
        index = KbIndex.load(index_path(index_dir), embedder, multilingual=multilingual,
                             ann_min_chunks=ann_min_chunks)
    except (ArtifactRefused, OSError, ValueError, KeyError) as exc:
        log.info("KB index not loaded (%s); rebuilding", exc)
        return rebuild(session, index_dir=index_dir, embedder=embedder, multilingual=multilingual,
                       ann_min_chunks=ann_min_chunks)
    changed = sync(session, index=index)
    learned = learn(session, index=index, max_new=None)
    if changed:
        save(index, index_dir)
    elif learned:
        save_history(index, index_dir)
    return index


class IndexHolder:
    """One process's index: loaded on first use, synced with the database before each use.

    The desk's history is learned at most every `history_refresh_seconds` (reading it costs a few queries
    over the newest records) and whenever the articles changed.
    """

    def __init__(self, index_dir: Path, embedder: Embedder, *,
                 history_refresh_seconds: float = HISTORY_REFRESH_SECONDS,
                 multilingual: PassageEmbedder | None = None, ann_min_chunks: int | None = None) -> None:
        self.index_dir = index_dir
        self.ann_min_chunks = ann_min_chunks
        self.history_refresh_seconds = history_refresh_seconds
        self._embedder = embedder
        self._multilingual = multilingual
        self._index: KbIndex | None = None
        self._learned_at = 0.0
        self._lock = threading.Lock()

    def warm(self, index: KbIndex) -> None:
        """Compute the multilingual vectors of `index` (this holder's, from `current`) now, saved with it, so
        that the first question not in English does not wait for them (minutes on a busy machine for a large
        KB). Needs no database session: none is held open while it embeds."""
        if self._multilingual is None or index.ml_vectors is not None:
            return
        index.cross_lingual()
        with self._lock:
            if self._index is index:
                save(index, self.index_dir)
        log.info("KB index warmed: multilingual vectors of %d chunks ready", len(index.chunks))

    def current(self, session: Session) -> KbIndex:
        """The index, equal to the approved versions `session` sees, with the history learned recently.

        Requests search the returned index without a lock, so a change is made on a copy that replaces
        the current index when it is complete: a search never sees an index half-way through a change.
        Checking costs one query and takes no lock, so concurrent requests do not queue behind each other's
        database round trip; only a request that finds approved articles changed waits for the updated
        index. When only the history is due, one request learns it and the others search the index they have.
        """
        index = self._index
        if index is None:
            with self._lock:
                if self._index is None:
                    self._index = load_or_rebuild(session, index_dir=self.index_dir, embedder=self._embedder,
                                                  multilingual=self._multilingual, ann_min_chunks=self.ann_min_chunks)
                    self._learned_at = time.monotonic()
                return self._index
        if article_changes(session, index=index):
            self._lock.acquire()
        elif time.monotonic() - self._learned_at < self.history_refresh_seconds or not self._lock.acquire(False):
            return index
        try:
            # Read again under the lock: another request may have replaced the index meanwhile.
            return self._refresh(session, self._index or index)
        finally:
            self._lock.release()

    def _refresh(self, session: Session, index: KbIndex) -> KbIndex:
        """Apply the article changes and the history due to `index` (the current one) on a copy; under the lock."""
        fresh: KbIndex | None = None
        changes = article_changes(session, index=index)
        if changes:
            fresh = _copy(index)
            _apply_articles(session, fresh, changes)
        learned = HistoryChanges(0, 0, 0)
        if changes or time.monotonic() - self._learned_at >= self.history_refresh_seconds:
            plan = history_plan(session, index=fresh or index)
            if plan:
                fresh = fresh or _copy(index)
                learned = _apply_history(session, fresh, plan, MAX_NEW_QUESTIONS)
            self._learned_at = time.monotonic()
        if fresh is None:
            return index
        if changes:
            log.info("KB index updated: +%s -%s", changes.added, changes.removed)
            save(fresh, self.index_dir)
        elif learned:
            save_history(fresh, self.index_dir)
        if learned:
            log.info("KB history: %d questions learned, %d forgotten, %d waiting", learned.learned,
                     learned.forgotten, learned.waiting)
        self._index = fresh
        return fresh
