"""The triage text classifier: TF-IDF word + char n-grams and MiniLM sentence vectors, one linear SVM.

Lifecycle (as every AI component): `train(texts, labels)` → `save(dir)` → `load(dir)` → `predict(batch)`.
A saved model is an artifact (`ml/artifacts.py`): its manifest names the component, the embedder whose
vectors it was trained on and the abstention threshold cross-validated with them; a model of another
component, format version or embedder is refused.

Training runs K-fold cross-validation on the training data only; the out-of-fold scores calibrate the
confidences (temperature scaling, and a correctness model on the top score, its margin and the text's
similarity to its nearest training texts) and choose the abstention threshold. A prediction's label is
always one of the training labels; below the threshold the prediction is flagged `abstained`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import sklearn

from deskpilot import __version__
from deskpilot.errors import InvalidInput, ProviderError
from deskpilot.ml.artifacts import ArtifactKind, peek_details, read_manifest, write_manifest
from deskpilot.ml.calibration import (
    CorrectnessModel,
    CrossValidation,
    calibrate_by_cross_validation,
    softmax,
)
from deskpilot.ml.embeddings import Embedder, Vectors
from deskpilot.ml.features import TextFeatures
from deskpilot.ml.linear_scorer import FittedLinear, fit_linear_svm, neighbour_similarity
from deskpilot.ml.training_data import as_text, scrambled_texts, training_data_hash, validated_training_data

log = logging.getLogger(__name__)

FORMAT_VERSION = 3
_WEIGHTS = "weights.npz"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ClassifierConfig:
    """Hyper-parameters; the defaults were chosen by cross-validation on training splits only."""

    embeddings: bool = True
    char_ngrams: bool = True
    embedding_weight: float = 2.0
    c: float = 0.5
    cv_folds: int = 3
    target_precision: float = 0.90
    # With an `oos` label: abstain on enough text that out-of-fold OOS recall reaches this, and no more.
    target_oos_recall: float = 0.80
    oos_label: str = "oos"
    # Confidence feature: mean cosine of a text's sentence vector to its k nearest in-scope training texts.
    similarity_neighbours: int = 5
    top_k: int = 3
    explain_terms: int = 5
    seed: int = 0


@dataclass(frozen=True)
class ScoredLabel:
    label: str
    score: float


@dataclass(frozen=True)
class TermContribution:
    term: str
    weight: float


@dataclass(frozen=True)
class ClassPrediction:
    """One text's outcome: a training label, its calibrated confidence, and why."""

    label: str
    confidence: float
    abstained: bool
    alternatives: tuple[ScoredLabel, ...]
    top_terms: tuple[TermContribution, ...]


class TextClassifier:
    """Closed-set text classifier with calibrated confidence, abstention and term explanations."""

    component: ClassVar[str] = "triage-text-classifier"
    remedy: ClassVar[str] = "retrain it with `deskpilot train triage`"

    def __init__(self, config: ClassifierConfig | None = None, *, embedder: Embedder | None = None) -> None:
        self.config = config or ClassifierConfig()
        if self.config.embeddings and embedder is None:
            raise InvalidInput(f"{self.component} uses sentence vectors: pass the runtime's embedder")
        self._embedder = embedder if self.config.embeddings else None
        self._features: TextFeatures | None = None
        self._model: FittedLinear | None = None
        self._metadata: dict[str, Any] = {}

    @property
    def labels(self) -> tuple[str, ...]:
        return self._require_model().labels

    @property
    def threshold(self) -> float:
        return self._require_model().threshold

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(self._metadata)

    def train(self, texts: Sequence[str], labels: Sequence[str], *, progress: Progress | None = None) -> Self:
        """Fit on (texts, labels); cross-validation on this data calibrates and sets the threshold."""
        texts, labels = validated_training_data(texts, labels)
        names = tuple(sorted(set(labels)))
        targets = np.array([names.index(label) for label in labels], dtype=np.int64)
        features = self._new_features()
        noise = scrambled_texts(texts, seed=self.config.seed)
        vectors = features.embed(texts + noise, progress)
        evaluation = self._cross_validate(texts + noise, names, targets, vectors, progress)
        vectors = None if vectors is None else vectors[: len(texts)]
        # Rounded to float16 as stored, so a loaded model predicts exactly what the trained one did.
        reference = None if vectors is None else _half(vectors[self._in_scope(names, targets)])
        if progress is not None:
            progress(f"fitting the final model on {len(texts)} texts")
        features.fit(texts)
        coef, intercept = fit_linear_svm(
            features.transform(texts, vectors),
            targets,
            n_labels=len(names),
            c=self.config.c,
            seed=self.config.seed,
        )
        self._model = FittedLinear(
            labels=names,
            coef=coef,
            intercept=intercept,
            temperature=evaluation.temperature,
            correctness=evaluation.correctness,
            threshold=evaluation.abstention.threshold,
            reference=reference,
        )
        self._features = features
        self._metadata = self._describe(texts, labels, evaluation)
        return self

    def _cross_validate(
        self,
        texts: list[str],
        names: tuple[str, ...],
        targets: npt.NDArray[np.int64],
        vectors: npt.NDArray[np.float32] | None,
        progress: Progress | None,
    ) -> CrossValidation:
        in_scope = self._in_scope(names, targets)

        def fit_and_score(
            train_rows: npt.NDArray[np.int64], held_out: npt.NDArray[np.int64]
        ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64] | None]:
            fold = self._new_features()
            fold.fit([texts[i] for i in train_rows])
            coef, intercept = fit_linear_svm(
                fold.transform([texts[i] for i in train_rows], None if vectors is None else vectors[train_rows]),
                targets[train_rows],
                n_labels=len(names),
                c=self.config.c,
                seed=self.config.seed,
            )
            held_vectors = None if vectors is None else vectors[held_out]
            matrix = fold.transform([texts[i] for i in held_out], held_vectors)
            scores = np.asarray(matrix @ coef.T, dtype=np.float64) + intercept
            if vectors is None or held_vectors is None:
                return scores, None
            reference = vectors[train_rows[in_scope[train_rows]]]
            return scores, neighbour_similarity(held_vectors, reference, self.config.similarity_neighbours)

        oos = self.config.oos_label
        noise_rows = len(texts) - len(targets)
        return calibrate_by_cross_validation(
            np.concatenate([targets, np.full(noise_rows, -1, dtype=np.int64)]),
            noise_rows=noise_rows,
            n_labels=len(names),
            folds=self.config.cv_folds,
            seed=self.config.seed,
            fit_and_score=fit_and_score,
            oos_index=names.index(oos) if oos in names else None,
            target_precision=self.config.target_precision,
            target_oos_recall=self.config.target_oos_recall,
            progress=progress,
        )

    def predict(self, texts: Sequence[str], *, vectors: Vectors | None = None) -> list[ClassPrediction]:
        """Classify a batch; every label returned is one of the training labels. `vectors`, when the caller
        already embedded `texts` (cut to EMBED_MAX_CHARS) with this model's embedder, are used as they are."""
        model, features = self._require_model(), self._require_features()
        texts = [as_text(t) for t in texts]
        if not texts:
            return []
        if vectors is None or features.embedder is None:
            vectors = features.embed(texts)
        matrix = features.transform(texts, vectors)
        scores = model.scores(matrix)
        probs = softmax(scores, model.temperature)
        similarity = None
        if vectors is not None and model.reference is not None:
            similarity = neighbour_similarity(vectors, model.reference, self.config.similarity_neighbours)
        confidence = model.correctness.confidence(scores, similarity)
        word_rows = matrix[:, : len(features.word.vocabulary_)]
        return [self._prediction(probs[i], float(confidence[i]), word_rows[i], features) for i in range(len(texts))]

    @classmethod
    def kind(cls) -> ArtifactKind:
        return ArtifactKind(cls.component, FORMAT_VERSION, f"a {cls.component} model", cls.remedy)

    def save(self, directory: Path) -> None:
        """Write weights (npz), TF-IDF vocabularies (JSON + npz) and the manifest into `directory`."""
        model, features = self._require_model(), self._require_features()
        directory.mkdir(parents=True, exist_ok=True)
        features.save(directory)
        if model.reference is None:
            np.savez(directory / _WEIGHTS, coef=model.coef, intercept=model.intercept)
        else:
            reference = model.reference.astype(np.float16)
            np.savez(directory / _WEIGHTS, coef=model.coef, intercept=model.intercept, reference=reference)
        details = {**self._metadata, "temperature": model.temperature, "correctness": asdict(model.correctness)}
        write_manifest(directory, self.kind(), embedder_model_id=self._embedder_id(),
                       thresholds={"abstain_below": model.threshold}, details=details)

    @classmethod
    def load(cls, directory: Path, *, embedder: Embedder | None = None) -> Self:
        """Load what `save` wrote; ArtifactRefused for another component, format version or embedder."""
        # A model trained without sentence vectors (the baseline's configuration) needs no embedder.
        uses_vectors = bool(peek_details(directory).get("config", {}).get("embeddings", True))
        expected = embedder.model_id if embedder is not None and uses_vectors else None
        manifest = read_manifest(directory, cls.kind(), embedder_model_id=expected)
        meta = manifest.details
        config = ClassifierConfig(**meta["config"])
        model = cls(config, embedder=embedder)
        model._features = TextFeatures.load(
            directory, embedder=model._embedder, embedding_weight=config.embedding_weight
        )
        with np.load(directory / _WEIGHTS) as weights:
            model._model = FittedLinear(
                labels=tuple(meta["labels"]),
                coef=weights["coef"],
                intercept=weights["intercept"],
                temperature=float(meta["temperature"]),
                correctness=CorrectnessModel(**meta["correctness"]),
                threshold=manifest.thresholds["abstain_below"],
                reference=weights["reference"].astype(np.float32) if "reference" in weights.files else None,
            )
        model._metadata = manifest.as_dict()
        return model

    def _embedder_id(self) -> str | None:
        return self._embedder.model_id if self._embedder is not None else None

    def _in_scope(self, names: tuple[str, ...], targets: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """Rows whose label is not the out-of-scope one: the neighbours similarity is measured against."""
        if self.config.oos_label not in names:
            return np.ones(len(targets), dtype=bool)
        in_scope: npt.NDArray[np.bool_] = targets != names.index(self.config.oos_label)
        return in_scope

    def _new_features(self) -> TextFeatures:
        return TextFeatures(
            char_ngrams=self.config.char_ngrams,
            embedder=self._embedder,
            embedding_weight=self.config.embedding_weight,
        )

    def _prediction(
        self, probs: npt.NDArray[np.float64], confidence: float, word_row: sp.csr_matrix, features: TextFeatures
    ) -> ClassPrediction:
        model = self._require_model()
        order = np.argsort(-probs, kind="stable")[: max(1, self.config.top_k)]
        best = int(order[0])
        return ClassPrediction(
            label=model.labels[best],
            confidence=confidence,
            abstained=confidence < model.threshold,
            alternatives=tuple(ScoredLabel(model.labels[i], float(probs[i])) for i in order),
            top_terms=self._top_terms(word_row, best, features),
        )

    def _top_terms(
        self, word_row: sp.csr_matrix, label_index: int, features: TextFeatures
    ) -> tuple[TermContribution, ...]:
        row = sp.csr_matrix(word_row)
        if row.nnz == 0 or self.config.explain_terms <= 0:
            return ()
        weights = self._require_model().coef[label_index, row.indices] * row.data
        keep = [i for i in np.argsort(-weights)[: self.config.explain_terms] if weights[i] > 0]
        terms = features.word_terms
        return tuple(TermContribution(str(terms[row.indices[i]]), float(weights[i])) for i in keep)

    def _describe(self, texts: list[str], labels: list[str], evaluation: CrossValidation) -> dict[str, Any]:
        return {
            "kind": self.component,
            "format_version": FORMAT_VERSION,
            "embedder_model_id": self._embedder_id(),
            "thresholds": {"abstain_below": self._require_model().threshold},
            "deskpilot_version": __version__,
            "sklearn_version": sklearn.__version__,
            "training_data_sha256": training_data_hash(texts, labels),
            "training_examples": len(texts),
            "labels": list(self._require_model().labels),
            "label_counts": {label: labels.count(label) for label in sorted(set(labels))},
            "cv_confidence_histogram": list(evaluation.confidence_histogram),
            "metrics": evaluation.metrics,
            "threshold_rule": evaluation.abstention.rule,
            "config": asdict(self.config),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }

    def _require_model(self) -> FittedLinear:
        if self._model is None:
            raise ProviderError(f"{self.component} is not trained; call train() or load() first")
        return self._model

    def _require_features(self) -> TextFeatures:
        if self._features is None:
            raise ProviderError(f"{self.component} is not trained; call train() or load() first")
        return self._features


def _half(vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    return vectors.astype(np.float16).astype(np.float32)
