"""The trained span scorer and answer confidence: two small logistic models shipped as JSON weights.

`span`: P(a candidate span is the answer) from `spans.FEATURES` (standardised). `answer`: the calibrated
probability that the chosen answer is right (token F1 ≥ `right_f1` against the reference), from the
best span's probability, its margin over the runner-up, the retrieval confidence and the article rank.
Both were trained on doc2dial dev dialogues (`benchmarks/answer_bench.py train`, folds over dialogues).
The scorer is an artifact like the others (`ml/artifacts.py`), shipped as `assist/span_model/`: its manifest
records the embedder whose cosines the span features hold, the answer threshold `confident_above` chosen
by cross-validation, the data hash and the cross-validated figures; `weights.json` holds both models. A
scorer of another format version or another embedder is refused.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from deskpilot.assist.grounded import AnswerDecision
from deskpilot.assist.spans import FEATURES
from deskpilot.ml.artifacts import ArtifactKind, ArtifactRefused, read_manifest, write_manifest
from deskpilot.ml.embeddings import MODEL_ID as MINILM_MODEL_ID

KIND = ArtifactKind("span-scorer", 2, "a span scorer", "retrain it with `benchmarks/answer_bench.py train --write`")
ANSWER_FEATURES = ("span_probability", "span_margin", "retrieval_confidence", "article_rank")
SHIPPED = Path(__file__).with_name("span_model")
SHIPPED_FOR = MINILM_MODEL_ID  # the embedder the shipped weights were trained with (their manifest says so too)
_WEIGHTS = "weights.json"


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
            raise ArtifactRefused(f"span scorer features {names} do not match this version's {expected}; {KIND.remedy}")
        return cls(names, np.asarray(data["mean"]), np.asarray(data["scale"]), np.asarray(data["coef"]),
                   float(data["intercept"]))


@dataclass(frozen=True)
class SpanScorer:
    """Both models, the embedder their cosine features came from, the answer threshold chosen with them
    (`confident_above`) and the details of how they were trained."""

    span: LinearModel
    answer: LinearModel
    embedder_model_id: str
    confident_above: float
    metadata: dict[str, Any]

    def answer_probability(self, best: float, runner_up: float, retrieval_confidence: float, rank: int) -> float:
        row = np.asarray([[best, best - runner_up, retrieval_confidence, float(rank)]])
        return float(self.answer.probability(row)[0])

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        weights = {"span": self.span.to_json(), "answer": self.answer.to_json()}
        (directory / _WEIGHTS).write_text(json.dumps(weights, indent=1) + "\n", encoding="utf-8")
        write_manifest(directory, KIND, embedder_model_id=self.embedder_model_id,
                       thresholds={"confident_above": self.confident_above}, details=self.metadata)

    @classmethod
    def load(cls, directory: Path = SHIPPED, *, embedder_model_id: str) -> SpanScorer:
        """The scorer in `directory` (by default the one shipped with the package) for features made by
        `embedder_model_id`; ArtifactRefused for another format or embedder."""
        manifest = read_manifest(directory, KIND, embedder_model_id=embedder_model_id)
        weights = json.loads((directory / _WEIGHTS).read_text(encoding="utf-8"))
        return cls(LinearModel.from_json(weights["span"], FEATURES),
                   LinearModel.from_json(weights["answer"], ANSWER_FEATURES), embedder_model_id,
                   manifest.thresholds["confident_above"], manifest.details)


def decide(*, abstained: bool, probability: float, confident_above: float) -> AnswerDecision:
    """Hand over when the composer abstained; answer outright only above the desk's confidence bar."""
    if abstained or math.isnan(probability):
        return AnswerDecision.HAND_OVER
    return AnswerDecision.ANSWER if probability >= confident_above else AnswerDecision.CAUTION
