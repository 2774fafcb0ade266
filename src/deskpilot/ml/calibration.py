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


def _top_two(scores: npt.NDArray[np.floating]) -> FloatArray:
    if scores.shape[1] < 2:
        return np.column_stack([scores[:, 0], np.zeros(len(scores))])
    top = -np.partition(-np.asarray(scores, dtype=np.float64), 1, axis=1)[:, :2]
    return np.column_stack([top[:, 0], top[:, 0] - top[:, 1]])


@dataclass(frozen=True)
class CorrectnessModel:
    """P(the top label is right) from the top raw score and its margin over the runner-up.

    A softmax over one-vs-rest scores stays confident on text unlike anything seen in training (the
    intercepts alone decide); the raw top score does not, so confidence is modelled on it directly.
    """

    bias: float
    top_weight: float
    margin_weight: float

    def confidence(self, scores: npt.NDArray[np.floating]) -> FloatArray:
        features = _top_two(scores)
        z = self.bias + self.top_weight * features[:, 0] + self.margin_weight * features[:, 1]
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))


def fit_correctness(scores: npt.NDArray[np.floating], correct: BoolArray) -> CorrectnessModel:
    """Logistic regression of out-of-fold correctness on (top score, margin)."""
    if correct.all() or not correct.any():
        rate = float(np.clip(correct.mean(), 0.01, 0.99))
        return CorrectnessModel(float(np.log(rate / (1.0 - rate))), 0.0, 0.0)
    model = LogisticRegression(C=100.0).fit(_top_two(scores), correct.astype(np.int64))
    return CorrectnessModel(float(model.intercept_[0]), float(model.coef_[0, 0]), float(model.coef_[0, 1]))


@dataclass(frozen=True)
class AbstentionChoice:
    """A threshold and what it achieved on the out-of-fold predictions it was chosen on."""

    threshold: float
    rule: str
    metrics: dict[str, float]


def _candidates(confidence: FloatArray) -> FloatArray:
    grid = np.quantile(confidence, np.linspace(0.0, 0.6, 121))
    return np.unique(np.concatenate([[0.0], grid]))


def threshold_for_oos(
    confidence: FloatArray, correct: BoolArray, predicted_oos: BoolArray, gold_oos: BoolArray
) -> AbstentionChoice:
    """The threshold that maximises in-scope accuracy + OOS recall (abstaining counts as `oos`)."""
    best: tuple[float, float, float, float] = (-1.0, 0.0, 0.0, 0.0)
    for t in _candidates(confidence):
        accepted = confidence >= t
        in_scope = float((correct & accepted & ~predicted_oos)[~gold_oos].mean()) if (~gold_oos).any() else 0.0
        recall = float((predicted_oos | ~accepted)[gold_oos].mean()) if gold_oos.any() else 0.0
        if in_scope + recall > best[0] + 1e-12:
            best = (in_scope + recall, float(t), in_scope, recall)
    return AbstentionChoice(
        threshold=best[1],
        rule="max in-scope accuracy + OOS recall (out-of-fold)",
        metrics={"cv_in_scope_accuracy": best[2], "cv_oos_recall": best[3]},
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


FoldScorer = Callable[[IntArray, IntArray], FloatArray]


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
    noise_rows: int = 0,
    progress: Callable[[str], None] | None = None,
) -> CrossValidation:
    """Out-of-fold scores → temperature, correctness model, abstention threshold and CV metrics.

    `fit_and_score(train_rows, held_out_rows)` trains on the first rows and returns scores of shape
    (len(held_out_rows), n_labels) for the second. The last `noise_rows` rows are scrambled texts that
    belong to no label: they are only ever held out, and teach the correctness model what text unlike
    the training data scores like.
    """
    real = targets[: len(targets) - noise_rows]
    noise = np.arange(len(real), len(targets), dtype=np.int64)
    folds = max(2, min(folds, len(real)))
    oof = np.zeros((len(targets), n_labels), dtype=np.float64)
    for number, (train_rows, held_out) in enumerate(_folds(real, folds, seed), start=1):
        if progress is not None:
            progress(f"cross-validation fold {number}/{folds}")
        held_out = np.concatenate([held_out, noise[number - 1 :: folds]])
        oof[held_out] = fit_and_score(train_rows, held_out)
    temperature = fit_temperature(oof[: len(real)], real)
    predicted = oof.argmax(axis=1)
    correct = predicted == targets
    correctness = fit_correctness(oof, correct)
    oof, predicted, correct = oof[: len(real)], predicted[: len(real)], correct[: len(real)]
    confidence = correctness.confidence(oof)
    if oos_index is None:
        choice = threshold_for_precision(confidence, correct, target_precision)
    else:
        choice = threshold_for_oos(confidence, correct, predicted == oos_index, real == oos_index)
    metrics = {
        "cv_folds": float(folds),
        "cv_accuracy": float(correct.mean()),
        "cv_macro_f1": float(f1_score(real, predicted, average="macro")),
        "temperature": temperature,
        **choice.metrics,
    }
    histogram = np.histogram(np.clip(confidence, 0.0, 1.0), bins=10, range=(0.0, 1.0))[0]
    return CrossValidation(temperature=temperature, correctness=correctness, abstention=choice, metrics=metrics,
                           confidence_histogram=tuple(int(n) for n in histogram))
