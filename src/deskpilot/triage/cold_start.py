"""Triage from what the desk already knows, before (and beside) any learned model.

The desk's taxonomy says what belongs in each category (a description and example requests), each approved
KB article names the category whose requests it answers, and agents' corrections say where a request really
belonged. Each of these is a *prototype* of its category; a request goes to the category of its nearest
prototypes (sentence-vector cosine). With no history this is the classifier; once a learned model beats it
out of fold (see training.py) the learned model takes over and the corrections stay in front of it
(`WithCorrections`) until the next retrain has learned them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.kb import service as kb
from deskpilot.ml.embeddings import Embedder, Vectors
from deskpilot.ml.features import EMBED_MAX_CHARS
from deskpilot.ml.text_classifier import ClassPrediction, ScoredLabel, TermContribution
from deskpilot.triage import categories
from deskpilot.triage.models import CorrectedExample
from deskpilot.triage.pipeline import Classifier

# Softmax temperature over per-category cosine scores, and how many of a category's nearest prototypes count.
# Both were chosen on the demo desk's written history (src/deskpilot/demo/tickets.csv, which cold start never
# reads) — never on the demo test set (src/deskpilot/demo/eval/triage_requests.yaml).
TEMPERATURE = 0.05
NEAREST = 2
ARTICLE_INTRO_CHARS = 400
MEMORY_LIMIT = 5000
# A request at least this close to a corrected one takes the corrected category, whatever the model says.
CORRECTION_MATCH = 0.86
CORRECTION = "corrected by an agent"


@dataclass(frozen=True)
class Prototype:
    category: str
    text: str
    source: str


def _article_intro(title: str, body: str) -> str:
    return f"{title}. {' '.join(body.split())[:ARTICLE_INTRO_CHARS]}"


def corrections(session: Session, allowed: set[str]) -> list[Prototype]:
    """The latest agent corrections into a category the desk still uses."""
    rows = session.scalars(select(CorrectedExample).order_by(CorrectedExample.id.desc()).limit(MEMORY_LIMIT))
    return [Prototype(r.category, r.text, f"{CORRECTION} on ticket DP-{r.ticket_id}" if r.ticket_id else CORRECTION)
            for r in rows if r.category in allowed]


def taxonomy_prototypes(session: Session) -> list[Prototype]:
    """Descriptions, example requests and the approved KB articles of every active category, and the
    corrections agents made."""
    active = categories.get_all(session)
    allowed = {c.name for c in active}
    prototypes = []
    for category in active:
        if category.description:
            prototypes.append(Prototype(category.name, f"{category.name}: {category.description}", "description"))
        prototypes += [Prototype(category.name, example, "example request") for example in category.examples]
    prototypes += [Prototype(d.category, _article_intro(d.title, d.text), f"KB article {d.title!r}")
                   for d in kb.approved_documents(session) if d.category in allowed]
    return prototypes + corrections(session, allowed)


def fingerprint(prototypes: Sequence[Prototype]) -> str:
    digest = hashlib.sha256()
    for p in prototypes:
        digest.update(f"{p.category}\x1f{p.text}\x1e".encode())
    return digest.hexdigest()


def nearest_scores(similarity: np.ndarray, label_index: np.ndarray, labels: int) -> np.ndarray:
    """Per text (row of `similarity` to every prototype), per label: the mean of its `NEAREST` best similarities
    to that label's prototypes."""
    result = np.full((len(similarity), labels), -1.0)
    for index in range(labels):
        own = similarity[:, label_index == index]
        result[:, index] = -np.sort(-own, axis=1)[:, :NEAREST].mean(axis=1)
    return result


def _softmax(scores: np.ndarray) -> np.ndarray:
    logits = scores / TEMPERATURE
    probabilities: np.ndarray = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    return probabilities


class PrototypeClassifier:
    """Nearest-prototype classifier: the score of a category is the mean cosine of a text to its `NEAREST`
    closest prototypes; a softmax over the scores is the confidence; the best prototype is the explanation."""

    def __init__(self, prototypes: Sequence[Prototype], vectors: Vectors, embedder: Embedder) -> None:
        self._prototypes = list(prototypes)
        self._vectors = vectors
        self._embedder = embedder
        self._labels = tuple(sorted({p.category for p in prototypes}))
        self._label_index = np.array([self._labels.index(p.category) for p in prototypes])

    @classmethod
    def build(cls, prototypes: Sequence[Prototype], embedder: Embedder) -> PrototypeClassifier:
        vectors = embedder.encode([p.text[:EMBED_MAX_CHARS] for p in prototypes])
        return cls(prototypes, vectors, embedder)

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    def scores(self, vectors: Vectors) -> np.ndarray:
        """Per text, per label: the mean of the `NEAREST` best cosines to that label's prototypes."""
        return nearest_scores(vectors @ self._vectors.T, self._label_index, len(self._labels))

    def encode(self, texts: Sequence[str], vectors: Vectors | None = None) -> Vectors:
        """`vectors` when the caller has them, else the texts embedded once (cut as the models cut them)."""
        return vectors if vectors is not None else self._embedder.encode([t[:EMBED_MAX_CHARS] for t in texts])

    def nearest(self, texts: Sequence[str], vectors: Vectors | None = None) -> list[tuple[Prototype, float]]:
        """The closest prototype of each text and its cosine."""
        similarity = self.encode(texts, vectors) @ self._vectors.T
        best = np.argmax(similarity, axis=1)
        return [(self._prototypes[int(i)], float(similarity[row, i])) for row, i in enumerate(best)]

    def predict(self, texts: Sequence[str], *, vectors: Vectors | None = None) -> list[ClassPrediction]:
        if not self._labels or not texts:
            return [ClassPrediction("", 0.0, True, (), ()) for _ in texts]
        vectors = self.encode(texts, vectors)
        scores = self.scores(vectors)
        probabilities = _softmax(scores)
        nearest = np.argmax(vectors @ self._vectors.T, axis=1)
        predictions = []
        for row, probs in enumerate(probabilities):
            order = np.argsort(-probs)
            best = self._prototypes[int(nearest[row])]
            predictions.append(ClassPrediction(
                label=self._labels[int(order[0])], confidence=float(probs[order[0]]), abstained=False,
                alternatives=tuple(ScoredLabel(self._labels[int(i)], float(probs[i])) for i in order[:3]),
                top_terms=(TermContribution(f"closest: {best.source}", float(scores[row].max())),)))
        return predictions


class LexicalPrototypes:
    """The same prototypes read by their words (TF-IDF word 1-2-grams, cosine) instead of sentence vectors, scored
    and normalised as `PrototypeClassifier` does: an independent second opinion for cold start."""

    def __init__(self, prototypes: Sequence[Prototype]) -> None:
        self._labels = tuple(sorted({p.category for p in prototypes}))
        self._label_index = np.array([self._labels.index(p.category) for p in prototypes])
        self._words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, strip_accents="unicode")
        self._matrix = self._words.fit_transform([p.text for p in prototypes])

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    def predict(self, texts: Sequence[str], *, vectors: Vectors | None = None) -> list[ClassPrediction]:
        del vectors  # read by words only
        if not texts:
            return []
        similarity = (self._words.transform(texts) @ self._matrix.T).toarray()
        probabilities = _softmax(nearest_scores(similarity, self._label_index, len(self._labels)))
        predictions = []
        for probs in probabilities:
            order = np.argsort(-probs)
            predictions.append(ClassPrediction(
                label=self._labels[int(order[0])], confidence=float(probs[order[0]]), abstained=False,
                alternatives=tuple(ScoredLabel(self._labels[int(i)], float(probs[i])) for i in order[:3]),
                top_terms=()))
        return predictions


def agreeing(prediction: ClassPrediction, second: ClassPrediction) -> ClassPrediction:
    """`prediction` when `second` (an independent classifier's) names another label; when both name the same one,
    that label with the confidence that not both are wrong, 1 - (1 - p1)(1 - p2), and not abstained."""
    if second.label != prediction.label or not second.label:
        return prediction
    confidence = 1.0 - (1.0 - prediction.confidence) * (1.0 - second.confidence)
    return ClassPrediction(
        label=prediction.label, confidence=confidence, abstained=False, alternatives=prediction.alternatives,
        top_terms=(*prediction.top_terms, TermContribution(f"a second opinion agrees ({second.confidence:.2f})",
                                                           second.confidence)))


class WithCorrections:
    """A model with the agents' corrections in front: a request nearly identical to a corrected one takes the
    corrected category at once, without waiting for the next retrain. `taxonomy` is a second, independent opinion
    (the cold-start prototypes beside a learned model; the prototypes read by their words beside the cold-start
    ones): where both name the same category the confidence is that not both are wrong (`agreeing`), so a request
    one model alone is unsure of but the other places the same way is not sent to human triage."""

    def __init__(self, model: Classifier, memory: PrototypeClassifier | None,
                 taxonomy: Classifier | None = None) -> None:
        self._model = model
        self._memory = memory
        self._taxonomy = taxonomy

    @property
    def labels(self) -> tuple[str, ...]:
        extra = self._memory.labels if self._memory else ()
        return tuple(sorted(set(self._model.labels) | set(extra)))

    def predict(self, texts: Sequence[str], *, vectors: Vectors | None = None) -> list[ClassPrediction]:
        predictions = self._model.predict(texts, vectors=vectors)
        if self._taxonomy is not None:
            opinions = self._taxonomy.predict(texts, vectors=vectors)
            predictions = [agreeing(p, o) for p, o in zip(predictions, opinions, strict=True)]
        if self._memory is None:
            return predictions
        result = []
        for prediction, (corrected, score) in zip(predictions, self._memory.nearest(texts, vectors), strict=True):
            if score < CORRECTION_MATCH:
                result.append(prediction)
                continue
            result.append(ClassPrediction(
                label=corrected.category, confidence=score, abstained=False,
                alternatives=(ScoredLabel(corrected.category, score), *prediction.alternatives[:2]),
                top_terms=(TermContribution(f"like the request {corrected.source}", score),)))
        return result
