"""The linear scorer behind the triage classifier: one-vs-rest SVM weights, calibration parameters and
the in-scope reference vectors, plus how they are fitted and compared."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.svm import LinearSVC

from deskpilot.ml.calibration import CorrectnessModel


@dataclass(frozen=True)
class FittedLinear:
    """The linear scorer: scores = X · coefᵀ + intercept; label shares = softmax(scores / temperature);
    confidence = P(top label correct) from the correctness model. `reference` holds the sentence
    vectors of the in-scope training texts when the model uses sentence vectors (float32 in memory: a
    float16 copy converted on every call cost ~100 ms per single text on 15k rows; float16 on disk)."""

    labels: tuple[str, ...]
    coef: npt.NDArray[np.float32]
    intercept: npt.NDArray[np.float32]
    temperature: float
    correctness: CorrectnessModel
    threshold: float
    reference: npt.NDArray[np.float32] | None = None

    @cached_property
    def _weights(self) -> npt.NDArray[np.float32]:
        # features × labels, C-contiguous: with the transposed view scipy copied the whole weight matrix
        # (features × labels, tens of MB with character n-grams) on every call, ~5 ms of a single prediction.
        return np.ascontiguousarray(self.coef.T)

    def scores(self, matrix: sp.csr_matrix) -> npt.NDArray[np.float64]:
        return np.asarray(matrix @ self._weights, dtype=np.float64) + self.intercept


def neighbour_similarity(
    queries: npt.NDArray[np.floating], reference: npt.NDArray[np.floating], k: int, *, chunk: int = 512
) -> npt.NDArray[np.float64]:
    """Mean cosine of each (L2-normalised) query vector to its `k` most similar reference vectors."""
    out = np.zeros(len(queries), dtype=np.float64)
    if len(reference) == 0 or len(queries) == 0:
        return out
    k = max(1, min(k, len(reference)))
    ref = np.asarray(reference, dtype=np.float32)
    for start in range(0, len(queries), chunk):
        sims = np.asarray(queries[start : start + chunk], dtype=np.float32) @ ref.T
        out[start : start + chunk] = np.partition(sims, len(ref) - k, axis=1)[:, len(ref) - k :].mean(axis=1)
    return out


def fit_linear_svm(
    matrix: sp.csr_matrix, targets: npt.NDArray[np.int64], *, n_labels: int, c: float, seed: int
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """One-vs-rest linear SVM weights as (coef, intercept) with one row per label index.

    Labels missing from `targets` (possible inside a cross-validation fold) get a score far below
    every other label, so they are never predicted from that fold.
    """
    svm = LinearSVC(C=c, random_state=seed, max_iter=3000).fit(matrix, targets)
    coef = np.zeros((n_labels, matrix.shape[1]), dtype=np.float32)
    intercept = np.full(n_labels, -1e3, dtype=np.float32)
    present = svm.classes_.astype(np.int64)
    if len(present) == 2:
        # sklearn keeps one row for two classes; make it symmetric so every label has a score.
        coef[present] = np.vstack([-svm.coef_[0], svm.coef_[0]])
        intercept[present] = [-svm.intercept_[0], svm.intercept_[0]]
    else:
        coef[present] = svm.coef_
        intercept[present] = svm.intercept_
    return coef, intercept
