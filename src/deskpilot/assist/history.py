"""Learning from history: past questions and the article that answered them vote for that article.

A new question close to past ones is likely answered by the same article even when it shares few
words with the article itself (users say "my screen is black", the article says "display").

A history is a directory like the other indexes: `manifest.json`, `questions.json` (key and article
slug per past question) and `vectors/` (the questions' embeddings). Keys name where a question came
from (the KB area uses the deciding AI decision or the resolved ticket), so learning the same question
twice stores it once and a question whose source stopped counting can be forgotten.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from deskpilot.assist.dialogue import RetrievalQuery
from deskpilot.ml.artifacts import ArtifactKind, ArtifactRefused, read_manifest, write_manifest
from deskpilot.ml.copy_on_write import CopyOnWriteMap
from deskpilot.ml.embeddings import Embedder
from deskpilot.ml.vector_index import ExactVectorIndex

KIND = ArtifactKind("question-history", 2, "a question history", "it is relearned from the database")


@dataclass(frozen=True)
class PastQuestion:
    """A question asked before and the slug of the article that resolved it; `key` names its source."""

    query: RetrievalQuery
    slug: str
    key: str | None = None


@dataclass(frozen=True)
class Support:
    """One past question close enough to the new one to vote: its key, article and cosine similarity."""

    key: str
    slug: str
    similarity: float


class QuestionHistory:
    """Past questions in a vector index; the nearest ones vote for their articles."""

    def __init__(self, embedder: Embedder, *, neighbours: int = 10) -> None:
        self.embedder = embedder
        self.neighbours = neighbours
        self._index = ExactVectorIndex(model_id=embedder.model_id, dimension=embedder.dimension)
        self._slug_of: CopyOnWriteMap[str, str] = CopyOnWriteMap()
        # Keys of questions learned without one; never reused, so forgetting cannot make two collide.
        self._next_anonymous = 0

    def __len__(self) -> int:
        return len(self._slug_of)

    def fork(self) -> QuestionHistory:
        """A copy to change while searches go on in this one (the vectors are shared, see `ExactVectorIndex`)."""
        twin = copy.copy(self)
        twin._index, twin._slug_of = self._index.fork(), self._slug_of.fork()
        return twin

    def __contains__(self, key: object) -> bool:
        return key in self._slug_of

    def learned(self) -> dict[str, str]:
        """key → article slug of every past question held."""
        return dict(self._slug_of)

    def add(self, questions: Sequence[PastQuestion]) -> None:
        """Remember past questions (their utterance only: the context belongs to another conversation).

        A question whose key is already held replaces the earlier one.
        """
        by_key: dict[str, PastQuestion] = {}
        for question in questions:
            if question.key is None:
                by_key[f"q{self._next_anonymous}"] = question
                self._next_anonymous += 1
            else:
                by_key[question.key] = question
        if not by_key:
            return
        keys = list(by_key)
        self._index.add(keys, self.embedder.encode([by_key[k].query.text for k in keys]))
        self._slug_of.update((k, by_key[k].slug) for k in keys)

    def remove(self, keys: Iterable[str]) -> None:
        """Forget past questions by key (unknown keys are ignored)."""
        gone = [k for k in keys if k in self._slug_of]
        self._index.remove(gone)
        for key in gone:
            del self._slug_of[key]

    def forget_article(self, slug: str) -> None:
        """Drop the votes for a retired article."""
        self.remove([key for key, s in self._slug_of.items() if s == slug])

    def support(self, utterance_vector: npt.NDArray[np.float32]) -> list[Support]:
        """The nearest past questions above `min_similarity`, most similar first."""
        found = []
        for key, similarity in self._index.search(utterance_vector, self.neighbours):
            # `.get`: the KB area may forget a question while another thread searches.
            slug = self._slug_of.get(key)
            if slug is not None and similarity > self.min_similarity:
                found.append(Support(key, slug, similarity))
        return found

    @property
    def min_similarity(self) -> float:
        """The cosine a past question must exceed to vote: tuned to the embedder, stored with the vectors."""
        return self._index.tuning.history_min_similarity

    def votes(self, utterance_vector: npt.NDArray[np.float32]) -> dict[str, float]:
        """Per article: the summed similarity above `min_similarity` of its nearest past questions."""
        return self.tally(self.support(utterance_vector))

    def tally(self, support: Sequence[Support]) -> dict[str, float]:
        """Per article: the summed similarity above `min_similarity` of the given supporting questions."""
        votes: dict[str, float] = {}
        for found in support:
            votes[found.slug] = votes.get(found.slug, 0.0) + (found.similarity - self.min_similarity)
        return votes

    def save(self, directory: Path) -> None:
        """Write the history under `directory` as plain files."""
        directory.mkdir(parents=True, exist_ok=True)
        self._index.save(directory / "vectors")
        questions = [[key, slug] for key, slug in self._slug_of.items()]
        (directory / "questions.json").write_text(json.dumps(questions), encoding="utf-8")
        write_manifest(directory, KIND, embedder_model_id=self.embedder.model_id,
                       details={"questions": len(self), "next_anonymous": self._next_anonymous})

    @classmethod
    def load(cls, directory: Path, embedder: Embedder) -> QuestionHistory:
        """Read a history written by `save`; ArtifactRefused for another format or another embedder's vectors."""
        manifest = read_manifest(directory, KIND, embedder_model_id=embedder.model_id).details
        history = cls(embedder)
        history._index = ExactVectorIndex.load(directory / "vectors", embedder_model_id=embedder.model_id)
        history._slug_of = CopyOnWriteMap((key, slug) for key, slug in json.loads(
            (directory / "questions.json").read_text(encoding="utf-8")))
        history._next_anonymous = int(manifest.get("next_anonymous", 0))
        if set(history._slug_of) != {k for k in history._index.row_ids() if k is not None}:
            raise ArtifactRefused(f"{directory}: questions.json and the vectors disagree; {KIND.remedy}")
        return history
