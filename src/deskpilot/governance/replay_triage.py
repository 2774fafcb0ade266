"""Replaying triage cases through the current and a candidate model on the same vectors, per label."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from deskpilot.ml.embeddings import Embedder, Vectors
from deskpilot.ml.features import EMBED_MAX_CHARS
from deskpilot.ml.text_classifier import ClassPrediction

QUESTION_CHARS = 160


class Classifier(Protocol):
    def predict(self, texts: Sequence[str], *, vectors: Vectors | None = None) -> list[ClassPrediction]: ...


@dataclass(frozen=True)
class TriageCase:
    """A case's id, its redacted text and the label the desk confirmed for the replayed field."""

    case_id: int
    source_ref: str
    question: str
    expected: str


@dataclass(frozen=True)
class Outcome:
    label: str | None  # None: the model abstained (the ticket goes to people) or there is no model

    def right(self, expected: str) -> bool:
        return self.label == expected


def _predict(model: Classifier | None, texts: list[str], vectors: Vectors | None) -> tuple[list[Outcome], float]:
    """Each text's outcome and the model's milliseconds per case (the shared embedding not counted)."""
    if model is None or not texts:
        return [Outcome(None) for _ in texts], 0.0
    started = time.perf_counter()
    predictions = model.predict(texts, vectors=vectors)
    elapsed = (time.perf_counter() - started) * 1000 / len(texts)
    return [Outcome(None if p.abstained else p.label) for p in predictions], elapsed


def _scores(cases: Sequence[TriageCase], outcomes: Sequence[Outcome]) -> dict[str, float]:
    n = len(cases)
    right = sum(o.right(c.expected) for c, o in zip(cases, outcomes, strict=True))
    abstained = sum(o.label is None for o in outcomes)
    return {"accuracy": right / n if n else 0.0, "abstention": abstained / n if n else 0.0}


def replay_triage(cases: Sequence[TriageCase], *, current: Classifier | None, candidate: Classifier | None,
                  embedder: Embedder | None) -> dict[str, Any]:
    """Per-label and overall accuracy and abstention of both models, their latency, and the changed cases.

    The texts are embedded once and both models predict from the same vectors, as triage does in production.
    """
    texts = [c.question for c in cases]
    started = time.perf_counter()
    vectors = embedder.encode([t[:EMBED_MAX_CHARS] for t in texts]) if embedder is not None and texts else None
    embed_ms = (time.perf_counter() - started) * 1000 / len(texts) if texts else 0.0
    before, before_ms = _predict(current, texts, vectors)
    after, after_ms = _predict(candidate, texts, vectors)
    groups: dict[str, list[int]] = defaultdict(list)
    for i, case in enumerate(cases):
        groups[case.expected].append(i)
    by_label = {}
    for label in sorted(groups):
        rows = groups[label]
        picked = [cases[i] for i in rows]
        now, then = _scores(picked, [before[i] for i in rows]), _scores(picked, [after[i] for i in rows])
        by_label[label] = {"cases": len(rows), "current": now, "candidate": then,
                           "delta_points": round(100 * (then["accuracy"] - now["accuracy"]), 2)}
    changed = [{"case": c.case_id, "source": c.source_ref, "question": c.question[:QUESTION_CHARS],
                "expected": c.expected, "current": b.label, "candidate": a.label}
               for c, b, a in zip(cases, before, after, strict=True) if b.label != a.label]
    return {"cases": len(cases), "by_label": by_label, "changed": changed, "embed_ms_per_case": round(embed_ms, 3),
            "current": {**_scores(cases, before), "latency_ms": round(before_ms, 3)},
            "candidate": {**_scores(cases, after), "latency_ms": round(after_ms, 3)}}
