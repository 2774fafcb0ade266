"""Calibration and abstention thresholds chosen from out-of-fold scores."""

from __future__ import annotations

import numpy as np

from deskpilot.ml.calibration import (
    fit_correctness,
    fit_temperature,
    softmax,
    threshold_for_oos,
    threshold_for_precision,
)
from deskpilot.ml.linear_scorer import neighbour_similarity


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
    choice = threshold_for_oos(confidence, correct, np.zeros(6, dtype=bool), gold_oos, 0.8)
    assert 0.3 < choice.threshold <= 0.8
    assert choice.metrics == {"cv_in_scope_accuracy": 1.0, "cv_oos_recall": 1.0}


def test_oos_threshold_abstains_no_more_than_the_target_recall_needs() -> None:
    # 1,000 in-scope rows with confidence spread over (0, 1) and 10 `oos` rows at 0.05 ... 0.95: the
    # old "in-scope accuracy + OOS recall" rule let the 10 rows buy recall with hundreds of in-scope rows.
    rng = np.random.default_rng(0)
    in_scope = rng.uniform(0.0, 1.0, 1000)
    oos = np.linspace(0.05, 0.95, 10)
    confidence = np.concatenate([in_scope, oos])
    correct = np.concatenate([np.ones(1000, dtype=bool), np.zeros(10, dtype=bool)])
    gold_oos = np.concatenate([np.zeros(1000, dtype=bool), np.ones(10, dtype=bool)])
    choice = threshold_for_oos(confidence, correct, np.zeros(1010, dtype=bool), gold_oos, 0.5)
    # Five of ten must be abstained on: just above the fifth-lowest oos confidence (0.45), no higher.
    assert oos[4] < choice.threshold < oos[4] + 1e-9
    assert choice.metrics["cv_oos_recall"] == 0.5
    assert choice.metrics["cv_in_scope_accuracy"] == float((in_scope >= choice.threshold).mean())
    assert "OOS recall >= 0.50" in choice.rule


def test_oos_rows_already_labelled_oos_count_towards_the_target() -> None:
    confidence = np.array([0.9, 0.2, 0.9, 0.9, 0.1])
    correct = np.array([True, False, True, True, False])
    gold_oos = np.array([False, False, True, True, True])
    predicted_oos = np.array([False, False, True, True, False])
    assert threshold_for_oos(confidence, correct, predicted_oos, gold_oos, 0.6).threshold == 0.0
    choice = threshold_for_oos(confidence, correct, predicted_oos, gold_oos, 1.0)
    assert 0.1 < choice.threshold < 0.2
    assert choice.metrics["cv_oos_recall"] == 1.0


def test_similarity_to_training_texts_enters_the_confidence() -> None:
    rng = np.random.default_rng(1)
    scores = rng.normal(0.0, 1.0, size=(600, 3))
    similarity = rng.uniform(0.0, 1.0, 600)
    correct = similarity > 0.5  # the scores say nothing; closeness to the training texts says it all
    model = fit_correctness(scores, correct, similarity)
    assert model.similarity_weight > 0
    confidence = model.confidence(scores, similarity)
    assert confidence[correct].min() > confidence[~correct].max() - 0.2
    assert fit_correctness(scores, correct).similarity_weight == 0.0


def test_neighbour_similarity_is_the_mean_of_the_k_closest_cosines() -> None:
    reference = np.eye(4, dtype=np.float32)
    query = np.array([[0.8, 0.6, 0.0, 0.0]], dtype=np.float32)
    assert neighbour_similarity(query, reference, 1)[0] == np.float32(0.8)
    assert abs(neighbour_similarity(query, reference, 2)[0] - 0.7) < 1e-6
    assert abs(neighbour_similarity(query, reference, 10)[0] - 0.35) < 1e-6  # k capped at 4 rows
    assert neighbour_similarity(query, reference[:0], 3)[0] == 0.0
