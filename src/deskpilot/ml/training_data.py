"""The data a text classifier learns from: validation, its identifying hash, and out-of-scope examples."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import numpy as np

from deskpilot.errors import InvalidInput


def scrambled_texts(texts: Sequence[str], *, seed: int, share: float = 0.1) -> list[str]:
    """Texts that belong to no label, made from a sample of `texts`: half with their characters
    shuffled, half as word salad drawn across many texts."""
    rng = np.random.default_rng(seed)
    count = max(30, int(len(texts) * share))
    words = [w for t in texts for w in t.split()] or ["?"]
    out: list[str] = []
    for i in rng.integers(0, len(texts), size=count):
        length = max(1, len(texts[i].split()))
        if len(out) % 2:
            chars = list(texts[i]) or ["?"]
            rng.shuffle(chars)
            out.append("".join(chars))
        else:
            out.append(" ".join(words[j] for j in rng.integers(0, len(words), size=length)))
    return out


def training_data_hash(texts: Sequence[str], labels: Sequence[str]) -> str:
    """sha256 over the (text, label) pairs in order; identifies the data a model was trained on."""
    digest = hashlib.sha256()
    for text, label in zip(texts, labels, strict=True):
        digest.update(json.dumps([text, label], ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def as_text(value: object) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def validated_training_data(texts: Sequence[str], labels: Sequence[str]) -> tuple[list[str], list[str]]:
    if len(texts) != len(labels):
        raise InvalidInput(f"{len(texts)} texts but {len(labels)} labels; give one label per text")
    clean_labels = [str(label).strip() for label in labels]
    if any(not label for label in clean_labels):
        raise InvalidInput("every training text needs a non-empty label")
    if len(set(clean_labels)) < 2:
        raise InvalidInput("training needs at least two distinct labels")
    return [as_text(t) for t in texts], clean_labels
