"""The baseline every triage classifier is measured against: word TF-IDF + a linear SVM.

It shares the classifier's lifecycle and prediction shape (calibrated confidence, abstention, top-k,
term explanations), so benchmarks and the product can swap one for the other.
"""

from __future__ import annotations

from typing import ClassVar

from deskpilot.ml.embeddings import Embedder
from deskpilot.ml.text_classifier import ClassifierConfig, TextClassifier

BASELINE_CONFIG = ClassifierConfig(embeddings=False, char_ngrams=False, c=1.0)


class TfidfSvmBaseline(TextClassifier):
    """Word uni+bigram TF-IDF and a one-vs-rest linear SVM (C=1); no sentence vectors."""

    component: ClassVar[str] = "triage-text-classifier-baseline"

    def __init__(self, config: ClassifierConfig | None = None, *, embedder: Embedder | None = None) -> None:
        del embedder  # the baseline never uses sentence vectors
        super().__init__(config or BASELINE_CONFIG, embedder=None)
