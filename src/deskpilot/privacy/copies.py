"""The copies of a person's data outside the owners' tables: the search indexes (files, embedding cache, and
other processes' memory), the trained models and the log files under DATA_DIR. Each step says what it would
change (`apply=False`) or changes it."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.config import Settings
from deskpilot.kb import indexing
from deskpilot.ml.embedding_cache import directory_of
from deskpilot.ml.embeddings import Embedder
from deskpilot.ml.model_store import ModelStore
from deskpilot.personal_data import ERASED, Change, Erasure
from deskpilot.tickets.models import Ticket
from deskpilot.triage.similar import TicketIndex, TicketVectors

MANIFEST = "manifest.json"
TEXT_SUFFIXES = {".json", ".txt", ".csv", ".jsonl", ".log", ".md", ".yaml"}


def indexes(session: Session, *, settings: Settings, erasure: Erasure, embedder: Embedder,
            apply: bool) -> list[Change]:
    """Rebuild the KB index (articles and the past questions it learned from tickets and chats) from the
    erased database, keep only today's texts' vectors in its embedding cache (and none of another embedder's),
    and tell every process to drop the index it holds in memory. Re-embed the person's solved tickets, and every
    ticket an erasure scrubbed, in the similar-tickets index."""
    kb_built = indexing.index_path(settings.index_dir).exists()
    stale_caches = _other_embedders_caches(settings.index_dir, embedder)
    similar = [ticket.id for ticket in session.scalars(select(Ticket))
               if ticket.requester_id == erasure.person.user_id
               or ERASED in f"{ticket.subject}{ticket.description}"]
    if apply:
        indexing.reset(session, index_dir=settings.index_dir, embedder=embedder, rebuild_files=kb_built,
                       reason=f"erasure of user {erasure.person.user_id}")
        for directory in stale_caches:
            shutil.rmtree(directory)
        index = TicketIndex(settings.index_dir / "tickets", TicketVectors(embedder))
        index.forget(similar)
        index.refresh(session)
    return [Change("indexes", "kb_index", int(kb_built), "rebuilt from the erased database (vectors and terms); "
                   "embedding cache pruned to the indexed texts"),
            Change("indexes", "kb_index_in_memory", 1, "every process drops the index it holds at its next use"),
            Change("indexes", "embedding_caches", len(stale_caches), "another embedder's cached vectors deleted"),
            Change("indexes", "similar_tickets", len(similar), "vectors dropped, re-embedded from the erased text")]


def _other_embedders_caches(index_dir: Path, embedder: Embedder) -> list[Path]:
    root = index_dir / indexing.EMBEDDINGS_SUBDIR
    mine = directory_of(root, embedder.model_id)
    return sorted(path for path in root.iterdir() if path.is_dir() and path != mine) if root.is_dir() else []


def models(*, settings: Settings, erasure: Erasure, apply: bool) -> list[Change]:
    """Discard every stored model whose files name the person (a TF-IDF vocabulary learned from their
    tickets); the next training learns from the erased history. A versioned model falls back to the newest
    earlier version that is left; an unversioned cache is deleted and rebuilt when next needed."""
    naming = [directory for directory in _model_directories(settings.model_dir) if _names(directory, erasure)]
    changes = [Change("models", f"{directory.parent.name}/{directory.name}", 1,
                      "discarded: it learned from the person's data; the next training excludes it")
               for directory in naming]
    if apply:
        for directory in naming:
            if directory.name.startswith("v") and directory.name[1:].isdigit():
                ModelStore(directory.parent, loader=Path).discard(directory.name)
            else:
                shutil.rmtree(directory)
    return changes


def logs(*, settings: Settings, erasure: Erasure, apply: bool) -> list[Change]:
    """Scrub the person's identifiers from every log file under DATA_DIR (`*.log`)."""
    naming = [path for path in sorted(settings.data_dir.rglob("*.log"))
              if path.is_file() and erasure.mentions(path.read_text(encoding="utf-8", errors="replace"))]
    if apply:
        for path in naming:
            _rewrite(path, erasure.scrub(path.read_text(encoding="utf-8", errors="replace")))
    return [Change("logs", str(path.relative_to(settings.data_dir)), 1, "identifiers scrubbed") for path in naming]


def _model_directories(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    found = sorted(path.parent for path in root.rglob(MANIFEST) if path.parent != root)
    # A model saved inside another (a component's own parts) goes with the outer one.
    return [path for path in found if not any(other in path.parents for other in found)]


def _names(directory: Path, erasure: Erasure) -> bool:
    return any(erasure.mentions(path.read_text(encoding="utf-8", errors="replace"))
               for path in directory.rglob("*") if path.is_file() and path.suffix in TEXT_SUFFIXES)


def _rewrite(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.erasing")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
