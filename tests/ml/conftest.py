"""Fixtures for the ML block tests: a real slice of Banking77 and a fast, deterministic embedder."""

from __future__ import annotations

import csv
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from deskpilot.ml.embeddings import Vectors
from deskpilot.ml.text_classifier import TextClassifier

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"
BANKING_LABELS = (
    "card_arrival",
    "lost_or_stolen_card",
    "exchange_rate",
    "pin_blocked",
    "top_up_failed",
    "cash_withdrawal_charge",
)


class TokenHashEmbedder:
    """Bag of hashed tokens, L2-normalised: stands in for MiniLM where its cost would dominate a test."""

    model_id = "test-token-hash"
    dimension = 64

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors:
        del batch_size
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in text.lower().split():
                out[row, zlib.crc32(token.encode("utf-8")) % self.dimension] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        vectors: Vectors = out / np.clip(norms, 1e-12, None)
        return vectors


def read_slice(name: str, split: str, labels: Sequence[str], per_label: int) -> tuple[list[str], list[str]]:
    """The first `per_label` rows of each of `labels` from a shared dataset split."""
    path = DATASETS / name / f"{split}.csv"
    if not path.is_file():
        pytest.skip(f"shared dataset {path} is not available")
    counts = dict.fromkeys(labels, 0)
    texts, out_labels = [], []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            label = row["label"]
            if label in counts and counts[label] < per_label:
                counts[label] += 1
                texts.append(row["text"])
                out_labels.append(label)
    return texts, out_labels


@pytest.fixture(scope="session")
def banking_slice() -> tuple[list[str], list[str]]:
    return read_slice("banking77", "train", BANKING_LABELS, 30)


@pytest.fixture(scope="session")
def hash_embedder() -> TokenHashEmbedder:
    return TokenHashEmbedder()


@pytest.fixture(scope="session")
def trained_classifier(banking_slice: tuple[list[str], list[str]], hash_embedder: TokenHashEmbedder) -> TextClassifier:
    texts, labels = banking_slice
    return TextClassifier(embedder=hash_embedder).train(texts, labels)
