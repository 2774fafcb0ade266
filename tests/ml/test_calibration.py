"""Calibration and abstention thresholds chosen from out-of-fold scores."""

from __future__ import annotations

import numpy as np

from deskpilot.ml.calibration import fit_temperature, softmax, threshold_for_oos, threshold_for_precision


def test_temperature_sharpens_underconfident_scores() -> None:
    rng = np.random.default_rng(0)
    targets = rng.integers(0, 4, size=400)
    scores = rng.normal(0, 0.1, size=(400, 4))
    scores[np.arange(400), targets] += 0.5  # always right, but the raw softmax is timid
    temperature = fit_temperature(scores, targets)
    assert temperature < 1.0
    assert softmax(scores, temperature).max(axis=1).mean() > softmax(scores).max(axis=1).mean()


def test_precision_threshold_never_accepts_coin_flips() -> None:
    confidence = np.linspace(0.05, 0.99, 100)
    correct = confidence > 0.3
    choice = threshold_for_precision(confidence, correct, 0.9)
    assert choice.threshold >= 0.5
    assert choice.metrics["cv_accepted_precision"] >= 0.9


def test_oos_threshold_trades_in_scope_accuracy_for_oos_recall() -> None:
    confidence = np.array([0.9, 0.8, 0.95, 0.2, 0.3, 0.25])
    correct = np.array([True, True, True, False, False, False])
    gold_oos = np.array([False, False, False, True, True, True])
    choice = threshold_for_oos(confidence, correct, np.zeros(6, dtype=bool), gold_oos)
    assert 0.3 < choice.threshold <= 0.8
    assert choice.metrics == {"cv_in_scope_accuracy": 1.0, "cv_oos_recall": 1.0}
