"""The trained span scorer and answer confidence: two small logistic models shipped as JSON weights.

`span`: P(a candidate span is the answer) from `spans.FEATURES` (standardised). `answer`: the calibrated
probability that the chosen answer is right (token F1 ≥ `right_f1` against the reference), from the
best span's probability, its margin over the runner-up, the retrieval confidence and the article rank.
Both were trained on doc2dial dev dialogues (`benchmarks/answer_bench.py train`, folds over dialogues);
the file records the data hash, the cross-validated figures and the format version, and a file of
another format version is refused.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from deskpilot.assist.grounded import AnswerDecision
from deskpilot.assist.spans import FEATURES
from deskpilot.errors import InvalidInput

FORMAT_VERSION = 1
ANSWER_FEATURES = ("span_probability", "span_margin", "retrieval_confidence", "article_rank")
WEIGHTS_FILE = "span_weights.json"


@dataclass(frozen=True)
class LinearModel:
    """A logistic model over standardised features."""

    names: tuple[str, ...]
    mean: npt.NDArray[np.float64]
    scale: npt.NDArray[np.float64]
    coef: npt.NDArray[np.float64]
    intercept: float

    def probability(self, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        logits = ((rows - self.mean) / self.scale) @ self.coef + self.intercept
        out: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-logits))
        return out

    def to_json(self) -> dict[str, Any]:
        return {"names": list(self.names), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "coef": self.coef.tolist(), "intercept": self.intercept}

    @classmethod
    def from_json(cls, data: dict[str, Any], expected: tuple[str, ...]) -> LinearModel:
        names = tuple(data["names"])
        if names != expected:
            raise InvalidInput(f"span scorer features {names} do not match this version's {expected}")
        return cls(names, np.asarray(data["mean"]), np.asarray(data["scale"]), np.asarray(data["coef"]),
                   float(data["intercept"]))


@dataclass(frozen=True)
class SpanScorer:
    """Both models plus the metadata they were trained with."""

    span: LinearModel
    answer: LinearModel
    metadata: dict[str, Any]

    def answer_probability(self, best: float, runner_up: float, retrieval_confidence: float, rank: int) -> float:
        row = np.asarray([[best, best - runner_up, retrieval_confidence, float(rank)]])
        return float(self.answer.probability(row)[0])

    def save(self, path: Path) -> None:
        data = {"format_version": FORMAT_VERSION, "span": self.span.to_json(), "answer": self.answer.to_json(),
                "metadata": self.metadata}
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path | None = None) -> SpanScorer:
        """The scorer in `path`, by default the one shipped with the package."""
        text = (path.read_text(encoding="utf-8") if path is not None
                else resources.files("deskpilot.assist").joinpath(WEIGHTS_FILE).read_text(encoding="utf-8"))
        data = json.loads(text)
        if data.get("format_version") != FORMAT_VERSION:
            raise InvalidInput(f"span scorer format {data.get('format_version')} is not {FORMAT_VERSION}: "
                               "retrain it with `benchmarks/answer_bench.py train`")
        return cls(LinearModel.from_json(data["span"], FEATURES),
                   LinearModel.from_json(data["answer"], ANSWER_FEATURES), data.get("metadata", {}))


def decide(*, abstained: bool, probability: float, confident_above: float) -> AnswerDecision:
    """Hand over when the composer abstained; answer outright only above the desk's confidence bar."""
    if abstained or math.isnan(probability):
        return AnswerDecision.HAND_OVER
    return AnswerDecision.ANSWER if probability >= confident_above else AnswerDecision.CAUTION
