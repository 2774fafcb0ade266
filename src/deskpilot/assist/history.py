"""Learning from history: past questions and the article that answered them vote for that article.

A new question close to past ones is likely answered by the same article even when it shares few
words with the article itself (users say "my screen is black", the article says "display").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from deskpilot.assist.dialogue import RetrievalQuery
from deskpilot.ml.embeddings import Embedder
from deskpilot.ml.vector_index import ExactVectorIndex


@dataclass(frozen=True)
class PastQuestion:
    """A question asked before and the slug of the article that resolved it."""

    query: RetrievalQuery
    slug: str


class QuestionHistory:
    """Past questions in a vector index; the nearest ones vote for their articles."""

    def __init__(self, embedder: Embedder, *, neighbours: int = 10, min_similarity: float = 0.5) -> None:
        self.embedder = embedder
        self.neighbours = neighbours
        self.min_similarity = min_similarity
        self._index = ExactVectorIndex(model_id=embedder.model_id, dimension=embedder.dimension)
        self._slug_of: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._slug_of)

    def add(self, questions: Sequence[PastQuestion]) -> None:
        """Remember past questions (their utterance only: the context belongs to another conversation)."""
        if not questions:
            return
        first = len(self._slug_of)
        ids = [f"q{first + i}" for i in range(len(questions))]
        self._index.add(ids, self.embedder.encode([q.query.text for q in questions]))
        self._slug_of.update(zip(ids, (q.slug for q in questions), strict=True))

    def forget_article(self, slug: str) -> None:
        """Drop the votes for a retired article."""
        gone = [qid for qid, s in self._slug_of.items() if s == slug]
        self._index.remove(gone)
        for qid in gone:
            del self._slug_of[qid]

    def votes(self, utterance_vector: npt.NDArray[np.float32]) -> dict[str, float]:
        """Per article: the summed similarity above `min_similarity` of its nearest past questions."""
        votes: dict[str, float] = {}
        for qid, similarity in self._index.search(utterance_vector, self.neighbours):
            if similarity > self.min_similarity:
                slug = self._slug_of[qid]
                votes[slug] = votes.get(slug, 0.0) + (similarity - self.min_similarity)
        return votes
