"""The packaged MiniLM embedder: normalised vectors, meaning over wording, one text as in a batch."""

from __future__ import annotations

import numpy as np

from deskpilot.ml.embeddings import DIMENSION, MODEL_ID, load_embedder


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
