"""Train the span scorer and the answer confidence by cross-validation over dialogues.

1. Span model: logistic regression on standardised `spans.FEATURES`, a span being positive when its
   token F1 against the reference reaches `SPAN_POSITIVE_F1`. Out-of-fold scores (5 folds over
   dialogues) pick each turn's answer, as the product would on a dialogue it has not seen.
2. Answer model: logistic regression on the out-of-fold best score, its margin over the runner-up, the
   retrieval confidence and the article rank; an answer is right when its F1 reaches `RIGHT_F1`.
   Its own out-of-fold probabilities give the precision/coverage curve and the `confident_above`
   threshold: the lowest probability whose answers held `precision_target` in cross-validation.
Final models are fitted on all the rows; the figures reported are the out-of-fold ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from deskpilot.assist.span_scorer import ANSWER_FEATURES, LinearModel, SpanScorer
from deskpilot.assist.spans import FEATURES
from deskpilot.evaluation.span_curve import RIGHT_F1, precision_curve, threshold_for
from deskpilot.evaluation.span_data import SpanData

SPAN_POSITIVE_F1 = 0.5
FOLDS = 5


@dataclass(frozen=True)
class Picks:
    """Per turn: the chosen span's row (-1: no candidate), its score, the runner-up's score."""

    row: npt.NDArray[np.int64]
    best: npt.NDArray[np.float64]
    runner_up: npt.NDArray[np.float64]


def _fit(rows: npt.NDArray[np.float64], labels: npt.NDArray[np.bool_], names: tuple[str, ...]) -> LinearModel:
    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=1.0, max_iter=5000).fit((rows - mean) / scale, labels)
    return LinearModel(names, mean, scale, model.coef_[0].astype(np.float64), float(model.intercept_[0]))


def pick(query: npt.NDArray[np.int64], scores: npt.NDArray[np.float64], turns: int) -> Picks:
    """The best-scored span of each turn."""
    row = np.full(turns, -1, dtype=np.int64)
    best = np.zeros(turns)
    runner_up = np.zeros(turns)
    order = np.lexsort((-scores, query))
    for position in order:
        turn = int(query[position])
        if row[turn] < 0:
            row[turn], best[turn] = position, scores[position]
        elif runner_up[turn] == 0.0:
            runner_up[turn] = scores[position]
    return Picks(row, best, runner_up)


def _folds(groups: list[str]) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    turns = np.arange(len(groups))
    return list(GroupKFold(FOLDS).split(turns, groups=groups))


def _out_of_fold_spans(data: SpanData) -> npt.NDArray[np.float64]:
    scores = np.zeros(len(data.f1))
    labels = data.f1 >= SPAN_POSITIVE_F1
    for train_turns, test_turns in _folds(data.groups):
        train = np.isin(data.query, train_turns)
        test = np.isin(data.query, test_turns)
        scores[test] = _fit(data.features[train], labels[train], FEATURES).probability(data.features[test])
    return scores


def _answer_rows(data: SpanData, picks: Picks) -> npt.NDArray[np.float64]:
    rank = np.where(picks.row >= 0, data.rank[np.maximum(picks.row, 0)], 0)
    return np.column_stack([picks.best, picks.best - picks.runner_up, data.confidence, rank]).astype(np.float64)


def _first_article_only(data: SpanData) -> float:
    """Cross-validated span F1 when only the first article's spans are candidates (no rerank)."""
    keep = data.rank == 0
    subset = SpanData(data.features[keep], data.f1[keep], data.query[keep], data.groups, data.confidence,
                      data.relevant[keep], data.rank[keep], data.baseline_f1)
    picks = pick(subset.query, _out_of_fold_spans(subset), len(data.groups))
    return float(np.where(picks.row >= 0, subset.f1[np.maximum(picks.row, 0)], 0.0).mean())


def train_span_scorer(data: SpanData, *, embedder_model_id: str, precision_target: float = 0.95
                      ) -> tuple[SpanScorer, dict[str, Any]]:
    """Both models fitted on all rows (features made by `embedder_model_id`), and the cross-validated figures
    that describe them."""
    turns = len(data.groups)
    oof_spans = _out_of_fold_spans(data)
    picks = pick(data.query, oof_spans, turns)
    has = picks.row >= 0
    picked_f1 = np.where(has, data.f1[np.maximum(picks.row, 0)], 0.0)
    right = picked_f1 >= RIGHT_F1
    answer_rows = _answer_rows(data, picks)
    oof_answer = np.zeros(turns)
    for train, test in _folds(data.groups):
        oof_answer[test] = _fit(answer_rows[train], right[train], ANSWER_FEATURES).probability(answer_rows[test])
    confident_above = threshold_for(oof_answer, right, precision_target)
    oracle = pick(data.query, data.f1, turns)
    chosen_relevant = np.where(has, data.relevant[np.maximum(picks.row, 0)], False)
    top_relevant = np.zeros(turns, dtype=bool)
    top_relevant[data.query[(data.rank == 0) & data.relevant]] = True
    confident = oof_answer >= confident_above
    first_only = _first_article_only(data)
    report: dict[str, Any] = {
        "turns": turns, "spans": len(data.f1), "folds": FOLDS,
        "f1_all_turns": float(picked_f1.mean()), "oracle_f1": float(np.where(oracle.row >= 0, oracle.best, 0).mean()),
        "f1_first_article_only": first_only, "f1_today": float(data.baseline_f1.mean()),
        "right_rate": float(right.mean()), "right_f1": RIGHT_F1,
        "precision_today": float((data.baseline_f1 >= RIGHT_F1).mean()),
        "article_p_at_1_hybrid": float(top_relevant.mean()), "article_p_at_1_reranked": float(chosen_relevant.mean()),
        "precision_target": precision_target, "confident_above": confident_above,
        "confident_coverage": float(confident.mean()),
        "confident_precision": float(right[confident].mean()) if confident.any() else 0.0,
        "curve": precision_curve(oof_answer, right, picked_f1),
    }
    span_model = _fit(data.features, data.f1 >= SPAN_POSITIVE_F1, FEATURES)
    answer_model = _fit(answer_rows, right, ANSWER_FEATURES)
    return SpanScorer(span_model, answer_model, embedder_model_id, confident_above, {"cv": report}), report
