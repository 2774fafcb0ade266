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

Text can also change without a new version: an erasure scrubs approved versions and the questions the index
learned in place. `reset` rebuilds the index files and records a `KbIndexReset`; every `IndexHolder` polls the
newest one at each use and, when it moved, drops the index it holds (never saving it) and loads the new files.

A change is made on a fork of the current index (`KbIndex.fork`: the large parts are shared, so a one-article
change at a million chunks costs milliseconds plus embedding its changed text) and is searchable as soon as
it is applied. The holder writes the changed index to disk in a background thread, the newest change only
when several came while it wrote: the directory is a cache of the database for the next start, and writing a
million-chunk index takes seconds that no request should wait for (`IndexHolder.saved` waits for it).
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.assist.dialogue import RetrievalQuery
from deskpilot.assist.history import PastQuestion
from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.kb import history
from deskpilot.kb.models import KbIndexReset
from deskpilot.kb.service import ApprovedDocument, approved_documents, approved_versions, approved_versions_and_tags
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
                      url=document.url, language=document.language, translation_of=document.translation_of,
                      tags=document.tags)


def article_changes(session: Session, *, index: KbIndex) -> IndexChanges:
    """What `sync` would change in `index` (nothing is changed). An article whose tags changed is indexed again
    (its chunks' vectors are reused): tags change without a new version, and an index saved before tags were
    kept gets them so."""
    approved = approved_versions_and_tags(session)
    stale = sorted(slug for slug in index.documents if slug not in approved)
    changed = sorted(slug for slug, approved_as in approved.items()
                     if (doc := index.documents.get(slug)) is None or (doc.version, doc.tags) != approved_as)
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
            progress: Progress | None = None, multilingual_now: bool = False) -> KbIndex:
    """A new index of every approved version and the desk's history, saved under `index_dir` (`kb reindex`).

    Chunk vectors come from the embedding cache under `index_dir` (`ml.embedding_cache`): a rebuild that was
    stopped resumes from the batches it had embedded, and text embedded before is not embedded again. A
    complete rebuild leaves in the cache only the vectors of the texts it indexed.
    `progress(done, total)` follows the embedding batch by batch. With `multilingual_now` the multilingual
    vectors are computed too and saved with the index (`kb reindex`), so that a desk started on it answers its
    first question not in English without computing them while the requester waits.
    """
    index = KbIndex(embedder, multilingual=multilingual, ann_min_chunks=ann_min_chunks)
    cache = EmbeddingCache(index_dir / EMBEDDINGS_SUBDIR, embedder, progress=progress)
    index.embedding_cache = cache
    index.add_documents(as_index_document(d) for d in approved_documents(session))
    index.embedding_cache = None
    # Complete: the cache keeps the vectors of today's texts only, not of every text it ever embedded.
    dropped = cache.retain(cache.used)
    if dropped:
        log.info("embedding cache: %d vectors of texts no longer indexed forgotten", dropped)
    if multilingual_now:
        index.cross_lingual()
    learn(session, index=index, max_new=None)
    save(index, index_dir)
    log.info("KB index rebuilt: %d articles, %d chunks, %d past questions", len(index), len(index.chunks),
             len(index.history))
    return index


def reset_version(session: Session) -> int:
    """The newest index reset (0: none): a holder whose index predates it must load the index again."""
    return session.scalar(select(func.max(KbIndexReset.id))) or 0


def reset(session: Session, *, index_dir: Path, embedder: Embedder, reason: str, rebuild_files: bool) -> None:
    """After text changed in place (`reason`, naming nobody): rebuild the index files (when `rebuild_files`: this
    DATA_DIR has them) and tell every process's holder to drop the index it holds, at the commit."""
    if rebuild_files:
        rebuild(session, index_dir=index_dir, embedder=embedder)
    session.add(KbIndexReset(reason=reason[:200]))
    session.flush()


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
        self._reset = 0
        self._learned_at = 0.0
        self._lock = threading.Lock()
        self._save_lock = threading.Lock()
        self._unsaved: KbIndex | None = None
        self._unsaved_articles = False
        self._saver: threading.Thread | None = None

    def _save_later(self, index: KbIndex, *, articles: bool) -> None:
        """Write `index` (its articles or only its history) in the background, after any write under way."""
        with self._save_lock:
            self._unsaved = index
            self._unsaved_articles |= articles
            if self._saver is None:
                self._saver = threading.Thread(target=self._write_unsaved, name="kb-index-writer", daemon=True)
                self._saver.start()

    def _write_unsaved(self) -> None:
        try:
            while True:
                with self._save_lock:
                    index, articles = self._unsaved, self._unsaved_articles
                    self._unsaved, self._unsaved_articles = None, False
                    if index is None:
                        self._saver = None
                        return
                try:
                    (save if articles else save_history)(index, self.index_dir)
                except OSError as exc:
                    # The directory is a cache: the next start rebuilds or syncs it from the database.
                    log.warning("KB index not written to %s (%s); it is synced from the database on the next "
                                "start", self.index_dir, exc)
        finally:
            # Any other error ends this writer (and is reported by the thread); the next change starts another.
            with self._save_lock:
                if self._saver is threading.current_thread():
                    self._saver = None

    def saved(self) -> None:
        """Wait until the changes made so far are written to disk."""
        while True:
            with self._save_lock:
                saver = self._saver
            if saver is None:
                return
            saver.join()

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

    def _load(self, session: Session, reset_seen: int) -> KbIndex:
        # A write not yet started may hold text a reset removed: drop it, and let one under way finish first.
        with self._save_lock:
            self._unsaved, self._unsaved_articles = None, False
        self.saved()
        self._reset = reset_seen
        self._index = load_or_rebuild(session, index_dir=self.index_dir, embedder=self._embedder,
                                      multilingual=self._multilingual, ann_min_chunks=self.ann_min_chunks)
        self._learned_at = time.monotonic()
        return self._index

    def current(self, session: Session) -> KbIndex:
        """The index, equal to the approved versions `session` sees, with the history learned recently.

        Requests search the returned index without a lock, so a change is made on a fork that replaces
        the current index when it is complete: a search never sees an index half-way through a change.
        Checking costs two queries (the reset mark; the approved versions with their tags) and takes no lock,
        so concurrent requests do not queue behind each other's database round trip; only a request that finds
        approved articles changed waits for the updated index. When only the history is due, one request learns
        it and the others search the index they have. An index another thread loaded meanwhile (the warm-up at
        start) is checked like any other: it holds what that thread's session saw, and articles approved since
        were missing from the first answers.
        """
        reset_seen = reset_version(session)
        index = self._index
        if index is None or reset_seen != self._reset:
            with self._lock:
                if self._index is None or reset_seen != self._reset:
                    if self._index is not None:
                        log.info("KB index reset by another process (text changed in place): loading it again")
                    return self._load(session, reset_seen)
                index = self._index
        if article_changes(session, index=index):
            self._lock.acquire()
        elif time.monotonic() - self._learned_at < self.history_refresh_seconds or not self._lock.acquire(False):
            return index
        try:
            # Read again under the lock: another request may have replaced the index meanwhile.
            return self._refresh(session, self._index or index, reset_seen)
        finally:
            self._lock.release()

    def _refresh(self, session: Session, index: KbIndex, reset_seen: int) -> KbIndex:
        """Apply the article changes and the history due to `index` (the current one) on a fork; under the lock."""
        fresh: KbIndex | None = None
        changes = article_changes(session, index=index)
        if changes:
            fresh = index.fork()
            _apply_articles(session, fresh, changes)
        learned = HistoryChanges(0, 0, 0)
        if changes or time.monotonic() - self._learned_at >= self.history_refresh_seconds:
            plan = history_plan(session, index=fresh or index)
            if plan:
                fresh = fresh or index.fork()
                learned = _apply_history(session, fresh, plan, MAX_NEW_QUESTIONS)
            self._learned_at = time.monotonic()
        if fresh is None:
            return index
        reset_now = reset_version(session)
        if reset_now != reset_seen:
            # Reset meanwhile: this copy may hold erased text; it must not overwrite the rebuilt files.
            return self._load(session, reset_now)
        if changes:
            log.info("KB index updated: +%s -%s", changes.added, changes.removed)
        if changes or learned:
            self._save_later(fresh, articles=bool(changes))
        if learned:
            log.info("KB history: %d questions learned, %d forgotten, %d waiting", learned.learned,
                     learned.forgotten, learned.waiting)
        self._index = fresh
        return fresh
