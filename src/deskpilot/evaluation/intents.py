"""How well the chat's intent model reads what is asked: stratified K-fold cross-validation on the shipped
phrasings, beside a keyword baseline (what a keyword list would do) scored on the same held-out folds.

Each fold trains the intent model on the other folds only (its own threshold comes from cross-validation
inside those folds), so no held-out phrasing ever shapes the model that reads it. The handled intent is the
one the chat acts on: a reading below the threshold is handled as a KB question.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sklearn.model_selection import StratifiedKFold

from deskpilot.conversations.intents import CONFIG, Intent, IntentClassifier, IntentModel, training_examples
from deskpilot.evaluation.metrics import accuracy, latency_percentiles, macro_f1
from deskpilot.ml.embeddings import Embedder

Progress = Callable[[str], None]
TIMED_PER_FOLD = 40  # single-message latency is measured on this many held-out messages per fold

# The keyword lists a desk would write by hand; the first intent whose pattern matches wins, else KB question.
KEYWORDS: tuple[tuple[Intent, re.Pattern[str]], ...] = tuple((intent, re.compile(pattern, re.IGNORECASE)) for
                                                             intent, pattern in (
    (Intent.HANDOFF, r"\b(human|person|agent|someone|technician|operator)\b"),
    (Intent.TICKET_STATUS, r"\b(status|update|progress)\b|\bDP-\d+"),
    (Intent.OPEN_TICKET, r"\b(open|create|raise|log|submit)\b.*\b(ticket|incident|request|case)\b"),
    (Intent.ACCOUNT_UNLOCK, r"\b(locked|unlock|blocked)\b"),
    (Intent.PASSWORD_RESET, r"\bpassword\b"),
    (Intent.BOT_QUESTION, r"\b(bot|robot|ai|machine)\b"),
    (Intent.CAPABILITIES, r"^\s*help\W*$|\bwhat can you\b"),
    (Intent.THANKS, r"\b(thanks|thank you|thx|cheers)\b"),
    (Intent.GOODBYE, r"\b(bye|goodbye|see you)\b"),
    (Intent.GREETING, r"^\s*(hi|hello|hey|good (morning|afternoon|evening))\b"),
    (Intent.OUT_OF_SCOPE, r"\b(canteen|lunch|menu|weather|parking|vacation|holiday|salary|meeting room)\b"),
))


def keyword_intent(text: str) -> Intent:
    """The keyword baseline's reading of `text`."""
    return next((intent for intent, pattern in KEYWORDS if pattern.search(text)), Intent.KB_QUESTION)


@dataclass(frozen=True)
class IntentScores:
    """One reader's figures over every held-out phrasing."""

    accuracy: float
    macro_f1: float
    per_intent_f1: dict[str, float]
    p50_ms: float
    p99_ms: float
    abstain_rate: float | None = None
    accepted_accuracy: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def _per_intent_f1(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    scores = {}
    for intent in Intent:
        pairs = list(zip(gold, predicted, strict=True))
        tp = sum(g == intent and p == intent for g, p in pairs)
        wrong = sum((g == intent) != (p == intent) for g, p in pairs)
        scores[intent.value] = round(2 * tp / (2 * tp + wrong), 4) if tp + wrong else 0.0
    return scores


def _scores(gold: list[str], predicted: list[str], seconds: list[float]) -> IntentScores:
    p50, p99 = latency_percentiles(seconds)
    return IntentScores(accuracy=round(accuracy(gold, predicted), 4), macro_f1=round(macro_f1(gold, predicted), 4),
                        per_intent_f1=_per_intent_f1(gold, predicted), p50_ms=round(p50, 2), p99_ms=round(p99, 2))


def evaluate_intents(embedder: Embedder, *, folds: int = 5, seed: int = 0,
                     progress: Progress | None = None) -> dict[str, Any]:
    """Cross-validated figures of the intent model and the keyword baseline on the shipped phrasings."""
    texts, labels = training_examples()
    gold: list[str] = []
    ours: list[str] = []
    predicted: list[str] = []
    abstained: list[bool] = []
    ours_seconds: list[float] = []
    baseline: list[str] = []
    baseline_seconds: list[float] = []
    train_seconds = 0.0
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for number, (train_rows, held_out) in enumerate(splitter.split(texts, labels), start=1):
        if progress is not None:
            progress(f"fold {number}/{folds}: training on {len(train_rows)}, reading {len(held_out)}")
        started = time.perf_counter()
        model = IntentModel(IntentClassifier(CONFIG, embedder=embedder).train(
            [texts[i] for i in train_rows], [labels[i] for i in train_rows]))
        train_seconds += time.perf_counter() - started
        held_texts = [texts[i] for i in held_out]
        for text in held_texts[:TIMED_PER_FOLD]:
            started = time.perf_counter()
            model.read(text)  # one message at a time, embedding included, as in the chat
            ours_seconds.append(time.perf_counter() - started)
        for i, reading in zip(held_out, model.read_all(held_texts), strict=True):
            started = time.perf_counter()
            baseline.append(keyword_intent(texts[i]).value)
            baseline_seconds.append(time.perf_counter() - started)
            gold.append(labels[i])
            ours.append(reading.intent.value)
            predicted.append(reading.predicted.value)
            abstained.append(reading.abstained)
    accepted = [i for i, a in enumerate(abstained) if not a]
    ours_scores = _scores(gold, ours, ours_seconds)
    return {
        "dataset": "conversations/intent_examples.yaml", "examples": len(texts), "intents": len(set(labels)),
        "folds": folds, "train_seconds_per_fold": round(train_seconds / folds, 2),
        "ours": IntentScores(**{**ours_scores.__dict__, "abstain_rate": round(1 - len(accepted) / len(gold), 4),
                                "accepted_accuracy": round(accuracy([gold[i] for i in accepted],
                                                                    [predicted[i] for i in accepted]), 4)
                                }).as_json(),
        "baseline": _scores(gold, baseline, baseline_seconds).as_json(),
        "ours_is": "the chat's intent model (MiniLM vectors + TF-IDF, linear SVM, calibrated; below its "
                   "threshold handled as kb_question)",
        "baseline_is": "keyword lists (first matching intent, else kb_question)",
    }


def format_intent_report(result: dict[str, Any]) -> str:
    ours, baseline = result["ours"], result["baseline"]
    lines = [f"chat intents: {result['folds']}-fold stratified CV on {result['dataset']} ({result['examples']} "
             f"phrasings, {result['intents']} intents)", f"{'metric':<22} {'ours':>10} {'keywords':>10}"]
    for key in ("accuracy", "macro_f1", "p50_ms", "p99_ms"):
        lines.append(f"{key:<22} {ours[key]:>10} {baseline[key]:>10}")
    lines.append(f"{'abstain_rate':<22} {ours['abstain_rate']:>10} {'-':>10}")
    lines.append(f"{'accepted_accuracy':<22} {ours['accepted_accuracy']:>10} {'-':>10}")
    for intent in Intent:
        lines.append(f"f1 {intent.value:<19} {ours['per_intent_f1'][intent]:>10} "
                     f"{baseline['per_intent_f1'][intent]:>10}")
    lines.append(f"training: {result['train_seconds_per_fold']} s per fold")
    return "\n".join(lines)
