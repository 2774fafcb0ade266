"""`deskpilot eval classify`: the triage classifier beside its TF-IDF + linear-SVM baseline.

Both are trained on the training data only (their thresholds come from cross-validation inside it),
then measured in the same run: quality on the test data, training time, batch throughput and
single-text latency. When `oos` occurs, an abstention counts as predicting `oos`. With `shots` the run is
a cold start instead (see few_shot.py): label names only, or K examples per label.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np
from sklearn.model_selection import StratifiedKFold

from deskpilot.errors import InvalidInput
from deskpilot.evaluation import metrics
from deskpilot.evaluation.datasets import LabelledText
from deskpilot.evaluation.few_shot import (
    DescriptionPrototypes,
    LabelNameMatch,
    check_shots,
    label_description,
    sample_shots,
    with_descriptions,
)
from deskpilot.ml.baselines import TfidfSvmBaseline
from deskpilot.ml.embeddings import Embedder, Vectors
from deskpilot.ml.text_classifier import ClassPrediction, TextClassifier

Progress = Callable[[str], None]
LATENCY_SAMPLES = 200


@dataclass(frozen=True)
class ClassifierScores:
    """What one classifier achieved in a run (in_scope_accuracy / oos_recall only when `oos` occurs)."""

    accuracy: float
    macro_f1: float
    in_scope_accuracy: float | None
    oos_recall: float | None
    train_seconds: float
    predict_per_second: float
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True)
class ClassifyReport:
    ours: ClassifierScores
    baseline: ClassifierScores
    train_rows: int
    test_rows: int
    labels: int
    cv_folds: int | None = None
    shots: int | None = None

    def as_json(self) -> dict[str, object]:
        """The public JSON shape: our scores at the top level and the baseline's under `baseline` (and
        `shots`, `train_rows`, `test_rows` for a cold-start run)."""
        report: dict[str, object] = {**asdict(self.ours), "baseline": asdict(self.baseline)}
        if self.shots is not None:
            report.update(shots=self.shots, train_rows=self.train_rows, test_rows=self.test_rows)
        return report


class _Trainable(Protocol):
    @property
    def component(self) -> str: ...

    def train(self, texts: Sequence[str], labels: Sequence[str], *, progress: Progress | None = None) -> Any: ...

    def predict(self, texts: Sequence[str]) -> list[ClassPrediction]: ...


@dataclass(frozen=True)
class _Run:
    gold: list[str]
    predicted: list[str]
    train_seconds: float
    predict_per_second: float
    latencies: list[float]


class _FoldEmbeddingCache:
    """Computes vectors for real in the first fold and serves the remembered ones in later folds.

    The sentence encoder is pretrained and fixed, so reusing its vectors changes no result; speed is
    only reported from the first (cold) fold.
    """

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.serving = False
        self._memo: dict[str, Vectors] = {}

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors:
        if not self.serving:
            vectors = self.inner.encode(texts, batch_size=batch_size)
            self._memo.update(zip(texts, vectors, strict=True))
            return vectors
        missing = sorted({t for t in texts if t not in self._memo})
        if missing:
            self._memo.update(zip(missing, self.inner.encode(missing, batch_size=batch_size), strict=True))
        return np.stack([self._memo[t] for t in texts]) if texts else self.inner.encode([])


def effective_labels(predictions: Sequence[ClassPrediction], *, oos_label: str | None) -> list[str]:
    """Predicted labels, with abstentions turned into `oos_label` when the data has one."""
    if oos_label is None:
        return [p.label for p in predictions]
    return [oos_label if p.abstained else p.label for p in predictions]


def _run(
    model: _Trainable,
    train: Sequence[LabelledText],
    test: Sequence[LabelledText],
    *,
    oos_label: str | None,
    progress: Progress | None,
) -> _Run:
    start = time.perf_counter()
    model.train([r.text for r in train], [r.label for r in train], progress=progress)
    train_seconds = time.perf_counter() - start
    texts = [r.text for r in test]
    if progress is not None:
        progress(f"{model.component}: predicting {len(texts)} texts")
    start = time.perf_counter()
    predictions = model.predict(texts)
    batch_seconds = max(time.perf_counter() - start, 1e-9)
    latencies = []
    for index in np.linspace(0, len(texts) - 1, min(LATENCY_SAMPLES, len(texts))).astype(int):
        start = time.perf_counter()
        model.predict([texts[index]])
        latencies.append(time.perf_counter() - start)
    return _Run(
        gold=[r.label for r in test],
        predicted=effective_labels(predictions, oos_label=oos_label),
        train_seconds=train_seconds,
        predict_per_second=len(texts) / batch_seconds,
        latencies=latencies,
    )


def _scores(runs: Sequence[_Run], *, oos_label: str | None) -> ClassifierScores:
    """Quality pooled over every run's predictions; speed from the first run."""
    gold = [g for r in runs for g in r.gold]
    predicted = [p for r in runs for p in r.predicted]
    p50, p99 = metrics.latency_percentiles(runs[0].latencies)
    in_scope = oos_recall = None
    if oos_label is not None:
        in_scope = metrics.in_scope_accuracy(gold, predicted, oos_label=oos_label)
        oos_recall = metrics.oos_recall(gold, predicted, oos_label=oos_label)
    return ClassifierScores(
        accuracy=metrics.accuracy(gold, predicted),
        macro_f1=metrics.macro_f1(gold, predicted),
        in_scope_accuracy=in_scope,
        oos_recall=oos_recall,
        train_seconds=runs[0].train_seconds,
        predict_per_second=runs[0].predict_per_second,
        p50_ms=p50,
        p99_ms=p99,
    )


def _oos_label(*datasets: Sequence[LabelledText]) -> str | None:
    return metrics.OOS_LABEL if any(r.label == metrics.OOS_LABEL for d in datasets for r in d) else None


def evaluate_split(
    train: Sequence[LabelledText],
    test: Sequence[LabelledText],
    *,
    embedder: Embedder,
    progress: Progress | None = None,
) -> ClassifyReport:
    """Train ours and the baseline on `train`, measure both on `test`."""
    _require_labels(train, test)
    oos = _oos_label(train, test)
    ours = _run(TextClassifier(embedder=embedder), train, test, oos_label=oos, progress=progress)
    base = _run(TfidfSvmBaseline(), train, test, oos_label=oos, progress=progress)
    return ClassifyReport(
        ours=_scores([ours], oos_label=oos),
        baseline=_scores([base], oos_label=oos),
        train_rows=len(train),
        test_rows=len(test),
        labels=len({r.label for r in train}),
    )


def evaluate_cross_validation(
    data: Sequence[LabelledText],
    *,
    folds: int,
    embedder: Embedder,
    progress: Progress | None = None,
) -> ClassifyReport:
    """Stratified K-fold on `data`: quality pooled over the folds, speed from the first (cold) fold."""
    _require_labels(data)
    if folds < 2 or folds > len(data):
        raise InvalidInput(f"--cv needs between 2 and {len(data)} folds (got {folds})")
    oos = _oos_label(data)
    cache = _FoldEmbeddingCache(embedder)
    labels = [r.label for r in data]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    ours: list[_Run] = []
    base: list[_Run] = []
    for number, (train_rows, test_rows) in enumerate(splitter.split(labels, labels), start=1):
        if progress is not None:
            progress(f"evaluation fold {number}/{folds}")
        train = [data[i] for i in train_rows]
        test = [data[i] for i in test_rows]
        ours.append(_run(TextClassifier(embedder=cache), train, test, oos_label=oos, progress=progress))
        base.append(_run(TfidfSvmBaseline(), train, test, oos_label=oos, progress=progress))
        cache.serving = True
    return ClassifyReport(
        ours=_scores(ours, oos_label=oos),
        baseline=_scores(base, oos_label=oos),
        train_rows=len(data) - len(data) // folds,
        test_rows=len(data) // folds,
        labels=len(set(labels)),
        cv_folds=folds,
    )


def evaluate_shots(
    train: Sequence[LabelledText],
    test: Sequence[LabelledText],
    *,
    shots: int,
    embedder: Embedder,
    progress: Progress | None = None,
) -> ClassifyReport:
    """Cold start: ours and the baseline from the label names only (`shots` = 0) or from `shots` examples per
    label of `train` plus the label names, both measured on `test` in the same run."""
    check_shots(shots)
    _require_labels(train, test)
    oos = _oos_label(train, test)
    encoder = embedder
    labels = sorted({r.label for r in train})
    rows = with_descriptions(sample_shots(train, shots), labels, oos_label=oos)
    if shots == 0:
        ours_model: _Trainable = DescriptionPrototypes(embedder=encoder)
        base_model: _Trainable = LabelNameMatch()
    else:
        ours_model, base_model = TextClassifier(embedder=encoder), TfidfSvmBaseline()
    if progress is not None:
        named = ", ".join(f"{label} -> {label_description(label)!r}" for label in labels[:3])
        progress(f"{shots} shot(s): {len(rows)} training rows, label descriptions from the names ({named}, ...)")
    ours = _run(ours_model, rows, test, oos_label=oos, progress=progress)
    base = _run(base_model, rows, test, oos_label=oos, progress=progress)
    return ClassifyReport(
        ours=_scores([ours], oos_label=oos),
        baseline=_scores([base], oos_label=oos),
        train_rows=len(rows),
        test_rows=len(test),
        labels=len(labels),
        shots=shots,
    )


def check_labelled(rows: Sequence[LabelledText], *, source: str) -> None:
    """Refuse rows with an empty label, naming the source and its first offending CSV line."""
    blank = next((line for line, r in enumerate(rows, start=2) if not r.label), None)
    if blank is not None:
        raise InvalidInput(f"{source}: line {blank} has an empty label; every row needs a label")


def _require_labels(train: Sequence[LabelledText], *others: Sequence[LabelledText]) -> None:
    check_labelled(train, source="training data")
    for data in others:
        check_labelled(data, source="test data")
    if len({r.label for r in train}) < 2:
        raise InvalidInput("the training data needs at least two distinct labels")
