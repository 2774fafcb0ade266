"""The AI runtime is built once from Settings; a misconfigured embedder stops start-up with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskpilot.config import Environment, Settings
from deskpilot.errors import InvalidInput
from deskpilot.ml.embeddings import MODEL_ID
from deskpilot.runtime import build_runtime


def test_an_unknown_embedding_model_is_refused_at_start_up_naming_the_known_one(tmp_path: Path) -> None:
    settings = Settings(environment=Environment.TEST, data_dir=tmp_path, embedding_model="no-such-model")
    with pytest.raises(InvalidInput, match=f"unknown embedding model 'no-such-model'; known: {MODEL_ID}"):
        build_runtime(settings)


def test_the_runtime_uses_the_configured_embedder_for_its_index(tmp_path: Path) -> None:
    runtime = build_runtime(Settings(environment=Environment.TEST, data_dir=tmp_path))
    assert runtime.embedder.model_id == MODEL_ID == Settings().embedding_model
    assert runtime.kb.index_dir == tmp_path / "index" and runtime.rephraser is None
