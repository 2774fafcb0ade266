from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from deskpilot.ml.embedding_cache import EmbeddingCache
from deskpilot.ml.embeddings import Vectors
from tests.ml.conftest import TokenHashEmbedder

TEXTS = [f"ticket {i} about the printer on floor {i % 7}" for i in range(50)]


class CountingEmbedder(TokenHashEmbedder):
    """The token-hash embedder, counting the texts it was asked to embed."""

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors:
        self.embedded.extend(texts)
        return super().encode(texts, batch_size=batch_size)


class Stopped(Exception):
    """Stands for the process being killed between two batches."""


def test_a_stopped_run_resumes_from_its_saved_batches_and_embeds_nothing_twice(tmp_path: Path) -> None:
    first = CountingEmbedder()
    seen: list[tuple[int, int]] = []

    def stop_after_two_batches(done: int, total: int) -> None:
        seen.append((done, total))
        if len(seen) == 2:
            raise Stopped

    with pytest.raises(Stopped):
        EmbeddingCache(tmp_path, first, progress=stop_after_two_batches).encode(TEXTS, batch=16)
    assert seen == [(16, 50), (32, 50)]
    second = CountingEmbedder()
    vectors = EmbeddingCache(tmp_path, second).encode(TEXTS, batch=16)
    assert second.embedded == TEXTS[32:]
    assert np.allclose(vectors, TokenHashEmbedder().encode(TEXTS))
    third = CountingEmbedder()
    EmbeddingCache(tmp_path, third).encode([*TEXTS, TEXTS[0]])
    assert third.embedded == []


def test_shards_of_another_dimension_are_ignored(tmp_path: Path) -> None:
    EmbeddingCache(tmp_path, CountingEmbedder()).encode(TEXTS[:3])

    class Wider(CountingEmbedder):
        dimension = 128

    assert len(EmbeddingCache(tmp_path, Wider())) == 0
    assert len(EmbeddingCache(tmp_path, CountingEmbedder())) == 3
    assert not list((tmp_path / "test-token-hash").glob("*.partial-*"))


def test_retain_forgets_every_vector_but_the_texts_kept_and_a_new_cache_reads_only_those(tmp_path: Path) -> None:
    embedder = CountingEmbedder()
    cache = EmbeddingCache(tmp_path, embedder)
    cache.encode(TEXTS[:20], batch=8)
    again = EmbeddingCache(tmp_path, embedder)
    again.encode(TEXTS[:5])
    assert again.retain(again.used) == 15
    reopened = EmbeddingCache(tmp_path, embedder)
    assert len(reopened) == 5 and len(list(reopened.directory.glob("shard-*.npz"))) == 1
    embedder.embedded.clear()
    assert np.allclose(reopened.encode(TEXTS[:5]), embedder.encode(TEXTS[:5]))
    assert embedder.embedded == TEXTS[:5]  # the check above; the cache itself embedded nothing
    assert reopened.retain(reopened.used) == 0


def test_several_processes_share_one_cache_directory_without_overwriting_each_other(tmp_path: Path) -> None:
    # Two caches opened before either wrote stand for two workers embedding their own batches at once.
    first, second = EmbeddingCache(tmp_path, CountingEmbedder()), EmbeddingCache(tmp_path, CountingEmbedder())
    first.encode(TEXTS[:25], batch=10)
    second.encode(TEXTS[25:], batch=10)
    later = CountingEmbedder()
    vectors = EmbeddingCache(tmp_path, later).encode(TEXTS)
    assert later.embedded == []
    assert np.allclose(vectors, TokenHashEmbedder().encode(TEXTS))
