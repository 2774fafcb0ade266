"""A KB rebuild spread over workers (`jobs.kb_reindex`): the texts each approved article embeds, the batches of
articles whose texts the embedding cache does not hold yet, and a batch embedded into that cache."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from deskpilot.assist.index_store import KbIndex
from deskpilot.kb.indexing import EMBEDDINGS_SUBDIR, as_index_document
from deskpilot.kb.service import approved_documents
from deskpilot.ml.embedding_cache import EmbeddingCache, Progress
from deskpilot.ml.embeddings import Embedder


def article_texts(session: Session, *, embedder: Embedder, slugs: list[str] | None = None) -> dict[str, list[str]]:
    """slug → the texts an index embeds for the approved version of each article (all, or `slugs`)."""
    index = KbIndex(embedder)
    return {d.slug: index.texts_to_embed(as_index_document(d)) for d in approved_documents(session, slugs=slugs)}


def embedding_batches(session: Session, *, index_dir: Path, embedder: Embedder, texts_per_batch: int
                      ) -> list[list[str]]:
    """The approved articles with text not yet in the embedding cache, in groups of about `texts_per_batch`
    texts to embed: the batches of a rebuild spread over workers (`jobs.kb_reindex`). Articles whose every
    text is cached are left out, so a rebuild after a stop plans only what is left."""
    cache = EmbeddingCache(index_dir / EMBEDDINGS_SUBDIR, embedder, hashes_only=True)
    batches: list[list[str]] = []
    current: list[str] = []
    size = 0
    for slug, texts in article_texts(session, embedder=embedder).items():
        missing = len(cache.missing(texts))
        if not missing:
            continue
        current.append(slug)
        size += missing
        if size >= texts_per_batch:
            batches.append(current)
            current, size = [], 0
    return batches + ([current] if current else [])


def fill_embedding_cache(texts: list[str], *, index_dir: Path, embedder: Embedder,
                         progress: Progress | None = None) -> int:
    """Embed into the embedding cache under `index_dir` those of `texts` it does not hold (shards written by
    other processes included); how many were embedded."""
    cache = EmbeddingCache(index_dir / EMBEDDINGS_SUBDIR, embedder, progress=progress, hashes_only=True)
    return cache.fill(texts)
