"""Turning raw linear scores into calibrated confidences, and choosing where to abstain.

Both are fitted on out-of-fold scores from cross-validation on the training data, never on a test set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize_scalar
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import KFold, StratifiedKFold

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_LOG_T_BOUNDS = (np.log(1e-3), np.log(1e3))


def softmax(scores: npt.NDArray[np.floating], temperature: float = 1.0) -> FloatArray:
    """Row-wise softmax of `scores / temperature`, numerically stable."""
    scaled = np.asarray(scores, dtype=np.float64) / temperature
    scaled -= scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


def fit_temperature(scores: npt.NDArray[np.floating], targets: IntArray) -> float:
    """The temperature that minimises the negative log-likelihood of the targets (temperature scaling)."""
    rows = np.arange(len(targets))

    def nll(log_t: float) -> float:
        probs = softmax(scores, float(np.exp(log_t)))
        return float(-np.log(np.clip(probs[rows, targets], 1e-12, None)).mean())

    result = minimize_scalar(nll, bounds=_LOG_T_BOUNDS, method="bounded")
    return float(np.exp(result.x))


def _correctness_features(scores: npt.NDArray[np.floating], similarity: FloatArray | None) -> FloatArray:
    """(top score, margin over the runner-up, similarity to the training texts or 0) per row."""
    scores = np.asarray(scores, dtype=np.float64)
    extra = np.zeros(len(scores)) if similarity is None else np.asarray(similarity, dtype=np.float64)
    if scores.shape[1] < 2:
        return np.column_stack([scores[:, 0], np.zeros(len(scores)), extra])
    top = -np.partition(-scores, 1, axis=1)[:, :2]
    return np.column_stack([top[:, 0], top[:, 0] - top[:, 1], extra])


@dataclass(frozen=True)
class CorrectnessModel:
    """P(the top label is right) from the top raw score, its margin over the runner-up and, when the
    classifier has sentence vectors, the text's similarity to its nearest training texts.

    A softmax over one-vs-rest scores stays confident on text unlike anything seen in training (the
    intercepts alone decide); the raw top score does not, so confidence is modelled on it directly. The
    similarity adds what the linear scores cannot see: an out-of-scope request that shares words with a
    label still lies far from every training example in the sentence-vector space.
    """

    bias: float
    top_weight: float
    margin_weight: float
    similarity_weight: float = 0.0

    def confidence(self, scores: npt.NDArray[np.floating], similarity: FloatArray | None = None) -> FloatArray:
        features = _correctness_features(scores, similarity)
        z = (
            self.bias
            + self.top_weight * features[:, 0]
            + self.margin_weight * features[:, 1]
            + self.similarity_weight * features[:, 2]
        )
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))


def fit_correctness(
    scores: npt.NDArray[np.floating], correct: BoolArray, similarity: FloatArray | None = None
) -> CorrectnessModel:
    """Logistic regression of out-of-fold correctness on (top score, margin[, similarity])."""
    if correct.all() or not correct.any():
        rate = float(np.clip(correct.mean(), 0.01, 0.99))
        return CorrectnessModel(float(np.log(rate / (1.0 - rate))), 0.0, 0.0)
    features = _correctness_features(scores, similarity)
    if similarity is None:
        features = features[:, :2]
    model = LogisticRegression(C=100.0).fit(features, correct.astype(np.int64))
    weights = [float(w) for w in model.coef_[0]]
    return CorrectnessModel(
        float(model.intercept_[0]), weights[0], weights[1], weights[2] if similarity is not None else 0.0
    )


@dataclass(frozen=True)
class AbstentionChoice:
    """A threshold and what it achieved on the out-of-fold predictions it was chosen on."""

    threshold: float
    rule: str
    metrics: dict[str, float]


def threshold_for_oos(
    confidence: FloatArray,
    correct: BoolArray,
    predicted_oos: BoolArray,
    gold_oos: BoolArray,
    target_recall: float,
) -> AbstentionChoice:
    """The threshold with the best in-scope accuracy whose OOS recall reaches `target_recall`
    (out-of-fold; abstaining counts as predicting `oos`).

    In-scope accuracy only falls and OOS recall only rises as the threshold goes up, so this is the
    lowest threshold that abstains on enough of the `oos` rows the classifier did not already label
    `oos`. Weighing the two rates against each other instead would let a few hundred `oos` rows outvote
    thousands of in-scope ones; the target states the trade-off the desk wants.
    """
    if not gold_oos.any():
        raise ValueError("choosing an OOS threshold needs at least one out-of-scope example")
    missed = np.sort(confidence[gold_oos & ~predicted_oos])
    needed = int(np.ceil(target_recall * int(gold_oos.sum()) - 1e-9)) - int((gold_oos & predicted_oos).sum())
    # Abstention is `confidence < threshold`: sit just above the needed-th lowest missed confidence.
    threshold = 0.0 if needed <= 0 else float(np.nextafter(missed[min(needed, len(missed)) - 1], np.inf))
    accepted = confidence >= threshold
    in_scope = float((correct & accepted & ~predicted_oos)[~gold_oos].mean()) if (~gold_oos).any() else 0.0
    return AbstentionChoice(
        threshold=threshold,
        rule=f"max in-scope accuracy with OOS recall >= {target_recall:.2f} (out-of-fold)",
        metrics={
            "cv_in_scope_accuracy": in_scope,
            "cv_oos_recall": float((predicted_oos | ~accepted)[gold_oos].mean()),
        },
    )


def threshold_for_precision(confidence: FloatArray, correct: BoolArray, target: float) -> AbstentionChoice:
    """The lowest threshold whose accepted predictions reach `target` precision (out-of-fold).

    It never goes below 0.5: a calibrated prediction more likely wrong than right is not accepted.
    """
    order = np.argsort(-confidence, kind="stable")
    hits = np.cumsum(correct[order])
    precision = hits / np.arange(1, len(order) + 1)
    ok = np.flatnonzero(precision >= target)
    # Keep the largest accepted prefix that is still precise enough; abstain below its last confidence.
    threshold = float(confidence[order][ok[-1]]) if ok.size else float(confidence.max(initial=1.0))
    threshold = max(threshold, 0.5)
    accepted = confidence >= threshold
    return AbstentionChoice(
        threshold=threshold,
        rule=f"lowest threshold >= 0.5 with out-of-fold precision >= {target:.2f}",
        metrics={
            "cv_accepted_precision": float(correct[accepted].mean()) if accepted.any() else 0.0,
            "cv_abstain_rate": float(1.0 - accepted.mean()),
        },
    )


@dataclass(frozen=True)
class CrossValidation:
    """What K-fold cross-validation on the training data decided and measured."""

    temperature: float
    correctness: CorrectnessModel
    abstention: AbstentionChoice
    metrics: dict[str, float]
    # Out-of-fold confidence of the training examples in ten equal bins over [0, 1]: the reference the
    # drift monitor compares live confidence with.
    confidence_histogram: tuple[int, ...] = ()


# (train_rows, held_out_rows) -> (scores of the held-out rows, their similarity to the train rows or None)
FoldScorer = Callable[[IntArray, IntArray], tuple[FloatArray, FloatArray | None]]


def _folds(targets: IntArray, folds: int, seed: int) -> list[tuple[IntArray, IntArray]]:
    smallest = int(np.bincount(targets).min())
    splitter: StratifiedKFold | KFold
    # Stratify when every label can appear in every fold; tiny labels fall back to shuffled folds.
    if smallest >= folds:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    else:
        splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
    return [(tr.astype(np.int64), va.astype(np.int64)) for tr, va in splitter.split(targets, targets)]


def calibrate_by_cross_validation(
    targets: IntArray,
    *,
    n_labels: int,
    folds: int,
    seed: int,
    fit_and_score: FoldScorer,
    oos_index: int | None,
    target_precision: float,
    target_oos_recall: float = 0.8,
    noise_rows: int = 0,
    progress: Callable[[str], None] | None = None,
) -> CrossValidation:
    """Out-of-fold scores → temperature, correctness model, abstention threshold and CV metrics.

    `fit_and_score(train_rows, held_out_rows)` trains on the first rows and returns scores of shape
    (len(held_out_rows), n_labels) for the second, with their similarity to the training rows (or None
    throughout). The last `noise_rows` rows are scrambled texts that belong to no label: they are only
    ever held out, and teach the correctness model what text unlike the training data scores like. They
    take no part in choosing the threshold: word salad from in-scope vocabulary is often still
    recognisably in scope, so it says little about the abstention rate a real request needs.
    """
    real = targets[: len(targets) - noise_rows]
    noise = np.arange(len(real), len(targets), dtype=np.int64)
    folds = max(2, min(folds, len(real)))
    oof = np.zeros((len(targets), n_labels), dtype=np.float64)
    similarity: FloatArray | None = np.zeros(len(targets), dtype=np.float64)
    for number, (train_rows, held_out) in enumerate(_folds(real, folds, seed), start=1):
        if progress is not None:
            progress(f"cross-validation fold {number}/{folds}")
        held_out = np.concatenate([held_out, noise[number - 1 :: folds]])
        oof[held_out], fold_similarity = fit_and_score(train_rows, held_out)
        if fold_similarity is None or similarity is None:
            similarity = None
        else:
            similarity[held_out] = fold_similarity
    temperature = fit_temperature(oof[: len(real)], real)
    predicted = oof.argmax(axis=1)
    correct = predicted == targets
    correctness = fit_correctness(oof, correct, similarity)
    oof, predicted, correct = oof[: len(real)], predicted[: len(real)], correct[: len(real)]
    confidence = correctness.confidence(oof, None if similarity is None else similarity[: len(real)])
    if oos_index is None:
        choice = threshold_for_precision(confidence, correct, target_precision)
    else:
        choice = threshold_for_oos(confidence, correct, predicted == oos_index, real == oos_index, target_oos_recall)
    metrics = {
        "cv_folds": float(folds),
        "cv_accuracy": float(correct.mean()),
        "cv_macro_f1": float(f1_score(real, predicted, average="macro")),
        "temperature": temperature,
        **choice.metrics,
    }
    histogram = np.histogram(np.clip(confidence, 0.0, 1.0), bins=10, range=(0.0, 1.0))[0]
    return CrossValidation(
        temperature=temperature,
        correctness=correctness,
        abstention=choice,
        metrics=metrics,
        confidence_histogram=tuple(int(n) for n in histogram),
    )
