"""Classification metrics against hand-computed values."""

from __future__ import annotations

import pytest

from deskpilot.evaluation import metrics


def test_accuracy_and_macro_f1() -> None:
    gold = ["a", "a", "b", "c"]
    predicted = ["a", "b", "b", "c"]
    assert metrics.accuracy(gold, predicted) == 0.75
    # F1: a = 2/3, b = 2/3, c = 1
    assert metrics.macro_f1(gold, predicted) == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)


def test_in_scope_accuracy_and_oos_recall() -> None:
    gold = ["a", "b", "oos", "oos"]
    predicted = ["a", "oos", "oos", "b"]
    assert metrics.in_scope_accuracy(gold, predicted) == 0.5
    assert metrics.oos_recall(gold, predicted) == 0.5


def test_latency_percentiles_in_milliseconds() -> None:
    p50, p99 = metrics.latency_percentiles([0.001] * 99 + [0.1])
    assert p50 == pytest.approx(1.0)
    assert 1.0 < p99 <= 100.0
    assert metrics.latency_percentiles([]) == (0.0, 0.0)


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="2 gold labels but 1 predictions"):
        metrics.accuracy(["a", "b"], ["a"])
