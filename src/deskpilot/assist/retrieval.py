"""Hybrid KB search: BM25 and dense scores fused per chunk, aggregated per article, with history votes.

Fusion: each signal is z-normalised over all live chunks and the two are added with a dense weight;
turn weights, fusion weight and the confidence calibration were chosen by 5-fold cross-validation
over the dialogues of doc2dial queries_dev (see docs/benchmarks.md). The confidence is a calibrated
probability that the first article is the right one (logistic on the top score and its margin).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from deskpilot.assist.chunking import Chunk
from deskpilot.assist.dialogue import RetrievalQuery
from deskpilot.assist.history import PastQuestion, QuestionHistory
from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.ml.lexical_index import term_weights

__all__ = ["ArticleHit", "HybridRetriever", "PastQuestion", "RetrievalParams", "RetrievalQuery", "SearchResult"]


@dataclass(frozen=True)
class RetrievalParams:
    """Knobs of the hybrid search (defaults chosen by cross-validation, see the module docstring)."""

    max_turns: int = 6
    lexical_decay: float = 0.5
    lexical_agent_weight: float = 0.5
    dense_decay: float = 0.7
    dense_agent_weight: float = 0.5
    dense_weight: float = 1.3
    history_weight: float = 1.0
    title_weight: float = 0.0
    chunks_per_article: int = 3
    calibration: tuple[float, float, float] = (-1.197, 0.00845, 0.4216)


@dataclass(frozen=True)
class ScoredChunk:
    chunk: Chunk
    score: float


@dataclass(frozen=True)
class ArticleHit:
    """One article in the ranking with its fused score and its best chunks, best first."""

    document: KbDocument
    score: float
    chunks: tuple[ScoredChunk, ...]

    @property
    def slug(self) -> str:
        return self.document.slug


@dataclass(frozen=True)
class SearchResult:
    hits: list[ArticleHit]
    confidence: float
    query_vector: npt.NDArray[np.float32]


def _z(scores: npt.NDArray[np.float32], live: npt.NDArray[np.bool_]) -> npt.NDArray[np.float32]:
    values = scores[live]
    if values.size == 0:
        return np.zeros_like(scores)
    std = float(values.std()) or 1.0
    out = (scores - float(values.mean())) / std
    out[~live] = -np.inf
    return out.astype(np.float32)


class HybridRetriever:
    """Searches a `KbIndex`; optionally learns from past questions answered by known articles."""

    def __init__(self, index: KbIndex, params: RetrievalParams | None = None) -> None:
        self.index = index
        self.params = params or RetrievalParams()
        self.history = QuestionHistory(index.embedder)

    def learn_history(self, questions: Sequence[PastQuestion]) -> None:
        """Past questions with the article that answered them become evidence for that article."""
        self.history.add([q for q in questions if q.slug in self.index.documents])

    def search(self, query: RetrievalQuery, *, k: int = 10) -> SearchResult:
        """The `k` best articles for a (dialogue) query, with their best chunks and a confidence."""
        p = self.params
        lexical_turns = query.weighted_turns(
            decay=p.lexical_decay, agent_weight=p.lexical_agent_weight, max_turns=p.max_turns
        )
        dense_turns = query.weighted_turns(
            decay=p.dense_decay, agent_weight=p.dense_agent_weight, max_turns=p.max_turns
        )
        turn_vectors = self.index.embedder.encode([text for text, _ in dense_turns])
        query_vector = np.asarray([w for _, w in dense_turns], dtype=np.float32) @ turn_vectors
        fused = self._fused_chunk_scores(term_weights(lexical_turns), query_vector)
        if fused is None:
            return SearchResult([], 0.0, turn_vectors[0])
        hits = self._articles(fused, turn_vectors[0], query_vector, k)
        return SearchResult(hits, self._confidence(hits), turn_vectors[0])

    def _fused_chunk_scores(
        self, terms: dict[str, float], query_vector: npt.NDArray[np.float32]
    ) -> tuple[list[str | None], npt.NDArray[np.float32]] | None:
        ids, dense, lexical = self.index.score_all(terms, query_vector)
        live = np.isfinite(dense)
        if not live.any():
            return None
        fused = self.params.dense_weight * _z(dense, live)
        if lexical is not None:
            fused += _z(lexical, live)
        return ids, fused

    def _articles(
        self,
        fused: tuple[list[str | None], npt.NDArray[np.float32]],
        utterance: npt.NDArray[np.float32],
        query_vector: npt.NDArray[np.float32],
        k: int,
    ) -> list[ArticleHit]:
        ids, scores = fused
        votes = self.history.votes(utterance) if len(self.history) else {}
        titles = self.index.title_scores(query_vector) if self.params.title_weight else {}
        depth = min(len(scores), max(50, 10 * k))
        top = np.argpartition(-scores, depth - 1)[:depth]
        by_article: dict[str, list[ScoredChunk]] = {}
        for row in top[np.argsort(-scores[top])]:
            chunk_id = ids[row]
            if chunk_id is None or not np.isfinite(scores[row]):
                continue
            chunk = self.index.chunks[chunk_id]
            by_article.setdefault(chunk.slug, []).append(ScoredChunk(chunk, float(scores[row])))
        floor = min((c[-1].score for c in by_article.values()), default=0.0)
        for slug in votes:
            if slug not in by_article and slug in self.index.documents:
                # Known only through history: enters at the lowest candidate score, its votes lift it.
                by_article[slug] = [ScoredChunk(self.index.chunks_of(slug)[0], floor)]
        hits = [
            ArticleHit(
                self.index.documents[slug],
                chunks[0].score
                + self.params.history_weight * votes.get(slug, 0.0)
                + self.params.title_weight * titles.get(slug, 0.0),
                tuple(chunks[: self.params.chunks_per_article]),
            )
            for slug, chunks in by_article.items()
        ]
        hits.sort(key=lambda h: -h.score)
        return hits[:k]

    def _confidence(self, hits: list[ArticleHit]) -> float:
        if not hits:
            return 0.0
        bias, w_top, w_margin = self.params.calibration
        margin = hits[0].score - hits[1].score if len(hits) > 1 else hits[0].score
        return 1.0 / (1.0 + math.exp(-(bias + w_top * hits[0].score + w_margin * margin)))
