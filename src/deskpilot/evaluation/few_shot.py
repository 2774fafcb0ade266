"""Cold start on public data (`deskpilot eval classify --shots K`): how triage does with label names only (K = 0)
or K examples per label, beside a baseline on exactly the same data.

A label's description is derived from its name by code ("card_arrival" -> "card arrival"), never written by
hand, so nothing is tuned on a test split. The K examples per label are drawn from the training split with a
fixed seed. The `oos` label of CLINC150 has no meaningful name: it gets no description, and at K = 0 nothing
is ever predicted `oos` (its recall is then 0 by construction).

- K = 0, ours: the desk's cold-start classifier (`triage.cold_start.PrototypeClassifier`: nearest sentence-
  vector prototypes) over the label descriptions; baseline: lexical label-name match (the label sharing the
  most word stems with the text; no match = abstain).
- K > 0, ours: the triage classifier (`TextClassifier`) trained on the K examples plus one description per
  label; baseline: the TF-IDF + linear-SVM baseline on the same rows.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from typing import ClassVar, Self

from deskpilot.errors import InvalidInput
from deskpilot.evaluation.datasets import LabelledText
from deskpilot.ml.embeddings import Embedder
from deskpilot.ml.text_classifier import ClassPrediction, ScoredLabel, TermContribution
from deskpilot.triage.cold_start import Prototype, PrototypeClassifier

Progress = Callable[[str], None]
SEED = 0
MAX_SHOTS = 1000
_STEM = 5
_WORD = re.compile(r"[a-z0-9]+")
_SEPARATORS = re.compile(r"[_\-.:/]+|(?<=[a-z])(?=[A-Z])")


def label_description(label: str) -> str:
    """The words of a label's name: "card_arrival" -> "card arrival", "alarm.query" -> "alarm query"."""
    return " ".join(_SEPARATORS.sub(" ", label).lower().split())


def check_shots(shots: int) -> None:
    if not 0 <= shots <= MAX_SHOTS:
        raise InvalidInput(f"--shots must be between 0 and {MAX_SHOTS} examples per label (got {shots})")


def sample_shots(rows: Sequence[LabelledText], shots: int, *, seed: int = SEED) -> list[LabelledText]:
    """`shots` rows of every label (all of a label's rows when it has fewer), drawn with a fixed seed."""
    check_shots(shots)
    by_label: dict[str, list[LabelledText]] = {}
    for row in rows:
        by_label.setdefault(row.label, []).append(row)
    rng = random.Random(seed)
    return [r for label in sorted(by_label) for r in rng.sample(by_label[label], min(shots, len(by_label[label])))]


def with_descriptions(shots: Sequence[LabelledText], labels: Sequence[str], *, oos_label: str | None
                      ) -> list[LabelledText]:
    """The examples plus one description row per nameable label."""
    return [*shots, *(LabelledText(label_description(label), label) for label in labels if label != oos_label)]


def _prediction(label: str, confidence: float, abstained: bool, ranked: Sequence[tuple[str, float]],
                why: str) -> ClassPrediction:
    return ClassPrediction(label=label, confidence=confidence, abstained=abstained,
                           alternatives=tuple(ScoredLabel(name, score) for name, score in ranked[:3]),
                           top_terms=(TermContribution(why, confidence),))


class LabelNameMatch:
    """Zero-shot baseline: the label whose name shares the largest fraction of its word stems (first 5 letters)
    with the text; ties go to the label with more shared stems, then by name. No shared stem: abstain."""

    component: ClassVar[str] = "label-name-match"

    def __init__(self) -> None:
        self._stems: dict[str, set[str]] = {}

    def train(self, texts: Sequence[str], labels: Sequence[str], *, progress: Progress | None = None) -> Self:
        del progress
        self._stems = {label: _stems(text) for text, label in zip(texts, labels, strict=True)}
        return self

    def predict(self, texts: Sequence[str]) -> list[ClassPrediction]:
        result = []
        for text in texts:
            words = _stems(text)
            scored = sorted(((len(s & words) / max(len(s), 1), len(s & words), label)
                             for label, s in self._stems.items()), key=lambda t: (-t[0], -t[1], t[2]))
            share, shared, label = scored[0]
            ranked = [(name, score) for score, _, name in scored]
            result.append(_prediction(label, share, shared == 0, ranked, f"{shared} label word(s) in the text"))
        return result


def _stems(text: str) -> set[str]:
    return {word[:_STEM] for word in _WORD.findall(text.lower())}


class DescriptionPrototypes:
    """Zero-shot ours: the desk's cold-start classifier with one prototype per label, its description."""

    component: ClassVar[str] = "cold-start-prototypes"

    def __init__(self, *, embedder: Embedder) -> None:
        self._embedder = embedder
        self._model: PrototypeClassifier | None = None

    def train(self, texts: Sequence[str], labels: Sequence[str], *, progress: Progress | None = None) -> Self:
        if progress is not None:
            progress(f"{self.component}: embedding {len(texts)} label descriptions")
        prototypes = [Prototype(label, text, "description") for text, label in zip(texts, labels, strict=True)]
        self._model = PrototypeClassifier.build(prototypes, self._embedder)
        return self

    def predict(self, texts: Sequence[str]) -> list[ClassPrediction]:
        if self._model is None:
            raise InvalidInput("the prototypes are not built yet: call train first")
        predictions = self._model.predict(texts)
        return [_prediction(p.label, p.confidence, p.abstained, [(a.label, a.score) for a in p.alternatives],
                            "closest label description") for p in predictions]

