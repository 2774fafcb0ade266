"""The packaged MiniLM embedder: normalised vectors, meaning over wording, one text as in a batch, one batch in the
model at a time."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from deskpilot.ml.embeddings import DIMENSION, MODEL_ID, MiniLmEmbedder, load_embedder


def test_vectors_are_normalised_and_close_for_paraphrases() -> None:
    vectors = load_embedder(MODEL_ID).encode(["I forgot my password", "I cannot remember my password",
                                         "The printer is out of toner"])
    assert vectors.shape == (3, DIMENSION)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3


def test_a_single_text_is_embedded_as_in_a_batch_and_a_result_cannot_corrupt_the_next() -> None:
    embedder = load_embedder(MODEL_ID)
    text = "My VPN drops every few minutes"
    first = embedder.encode([text])
    in_batch = embedder.encode([text, "something else entirely"])[0]
    first[0, :] = 0.0  # a caller scribbling on its result
    again = embedder.encode([text])
    assert np.allclose(again[0], in_batch, atol=1e-5)
    assert np.linalg.norm(again[0]) > 0.99


class WatchedSession:
    """The embedder's real onnxruntime session, noting how many runs are inside it at once."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.inside = self.most = 0
        self._lock = threading.Lock()

    def run(self, outputs: list[str], feeds: dict[str, Any]) -> Any:
        with self._lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
        try:
            time.sleep(0.01)  # widen the window in which an overlapping run would show
            return self.real.run(outputs, feeds)
        finally:
            with self._lock:
                self.inside -= 1


def test_concurrent_callers_run_the_model_one_batch_at_a_time_and_get_their_own_vectors() -> None:
    # Overlapping runs each grow onnxruntime's memory arena by their working set for good (an app process
    # reached 6.9 GB with 30 requests embedding at once).
    embedder = MiniLmEmbedder()
    watched = WatchedSession(embedder._session)
    embedder._session = watched
    texts = [f"Ticket {n}: the printer on floor {n} jams on every page" for n in range(8)]
    alone = [embedder.encode([text])[0] for text in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(lambda text: embedder.encode([text])[0], texts))
    assert watched.most == 1
    assert all(np.allclose(a, b, atol=1e-5) for a, b in zip(alone, together, strict=True))
