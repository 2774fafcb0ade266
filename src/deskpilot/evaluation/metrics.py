"""Classification metrics: accuracy, macro-F1, in-scope accuracy / OOS recall, latency percentiles."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

OOS_LABEL = "oos"


def _check_lengths(gold: Sequence[str], predicted: Sequence[str]) -> None:
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Share of exact label matches (0.0 on empty input)."""
    _check_lengths(gold, predicted)
    if not gold:
        return 0.0
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Unweighted mean of per-label F1 over every label seen in gold or predictions."""
    _check_lengths(gold, predicted)
    labels = sorted(set(gold) | set(predicted))
    if not labels:
        return 0.0
    scores = []
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        denominator = 2 * tp + fp + fn
        scores.append(2 * tp / denominator if denominator else 0.0)
    return float(np.mean(scores))


def in_scope_accuracy(gold: Sequence[str], predicted: Sequence[str], *, oos_label: str = OOS_LABEL) -> float:
    """Accuracy over the examples whose gold label is in scope (predicting `oos` for them is wrong)."""
    _check_lengths(gold, predicted)
    pairs = [(g, p) for g, p in zip(gold, predicted, strict=True) if g != oos_label]
    if not pairs:
        return 0.0
    return sum(g == p for g, p in pairs) / len(pairs)


def oos_recall(gold: Sequence[str], predicted: Sequence[str], *, oos_label: str = OOS_LABEL) -> float:
    """Share of out-of-scope examples that were predicted (or abstained to) `oos`."""
    _check_lengths(gold, predicted)
    flags = [p == oos_label for g, p in zip(gold, predicted, strict=True) if g == oos_label]
    if not flags:
        return 0.0
    return sum(flags) / len(flags)


def latency_percentiles(seconds: Sequence[float]) -> tuple[float, float]:
    """(p50, p99) in milliseconds of per-item latencies given in seconds."""
    if not seconds:
        return 0.0, 0.0
    ms = np.asarray(seconds, dtype=np.float64) * 1000.0
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))
