"""What a KB search returns: the ranked articles with their best chunks, the calibrated confidence, and the
absolute evidence for the top article (`assist.retrieval` computes them; the answer composer, the chat and the
decision record read them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from deskpilot.assist.chunking import Chunk
from deskpilot.assist.index_store import KbDocument
from deskpilot.assist.naming import NAMED_MIN


@dataclass(frozen=True)
class ScoredChunk:
    """A chunk's fused score and its two parts: weighted z-scores of BM25 and of the dense cosine."""

    chunk: Chunk
    score: float
    lexical: float = 0.0
    dense: float = 0.0


@dataclass(frozen=True)
class ArticleHit:
    """One article in the ranking with its fused score and its best chunks, best first.

    `score` is the best chunk's score plus the weighted `history` votes and `title` similarity;
    `past_questions` are the keys of the past questions that voted for the article; `named`: how plainly the
    question names the article by its title and tags (`assist/naming.py`), evidence of topic beside the cosine.
    """

    document: KbDocument
    score: float
    chunks: tuple[ScoredChunk, ...]
    history: float = 0.0
    title: float = 0.0
    past_questions: tuple[str, ...] = ()
    named: float = 0.0

    @property
    def slug(self) -> str:
        return self.document.slug

    @property
    def text_score(self) -> float:
        """The score without the title's part: what the confidence, the suggestions' margin, the device question
        and the answer spans' features were calibrated on (`assist.titles`)."""
        return self.score - self.title

    @property
    def named_by_question(self) -> bool:
        return self.named >= NAMED_MIN


@dataclass(frozen=True)
class SearchResult:
    hits: list[ArticleHit]
    confidence: float
    query_vector: npt.NDArray[np.float32]
    evidence: Evidence | None = None
    # The turn-weighted query (utterance + earlier turns) and the latest agent turn, unit length, so the
    # span scorer reuses them instead of embedding the dialogue again.
    context_vector: npt.NDArray[np.float32] | None = None
    agent_vector: npt.NDArray[np.float32] | None = None

    @property
    def text_top(self) -> ArticleHit | None:
        """The article the text ranks first, before titles reorder the close ones (`assist.titles`): what the
        confidence and the evidence are about, so what the gates on them read."""
        return max(self.hits, key=lambda hit: hit.text_score, default=None)

    def explanation(self) -> dict[str, Any]:
        """What supported the top article, signal by signal, for the record of an AI decision."""
        if not self.hits:
            return {}
        top = self.hits[0]
        best = top.chunks[0] if top.chunks else None
        found: dict[str, Any] = {
            "slug": top.slug, "version": top.document.version, "score": round(top.score, 4),
            "bm25": round(best.lexical, 4) if best else 0.0, "dense": round(best.dense, 4) if best else 0.0,
            "history": round(top.history, 4), "title": round(top.title, 4), "named": round(top.named, 4),
            "past_questions": list(top.past_questions),
        }
        if self.evidence is not None:
            found |= {"cosine": round(self.evidence.cosine, 4), "coverage": round(self.evidence.coverage, 4)}
        return found


@dataclass(frozen=True)
class Evidence:
    """Absolute (not per-query normalised) support of the query by the top article.

    `cosine`: the best raw cosine of the query to one of the article's chunks or to its title;
    `coverage`: the weighted share of the query's content terms that occur in the article.
    """

    cosine: float
    coverage: float
    floor: float

    @property
    def on_topic(self) -> bool:
        """Whether the top article is close in meaning to the question on its embedder's scale."""
        return self.cosine >= self.floor

    def score(self, coverage_weight: float) -> float:
        return self.cosine + coverage_weight * self.coverage
