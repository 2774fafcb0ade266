from pathlib import Path

import numpy as np
import pytest

from deskpilot.errors import InvalidInput
from deskpilot.ml.artifacts import ArtifactRefused
from deskpilot.ml.vector_index import ExactVectorIndex


def _unit(rows: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(rows, 8)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _index(rows: int = 50) -> tuple[ExactVectorIndex, np.ndarray]:
    index = ExactVectorIndex(model_id="test-model", dimension=8)
    vectors = _unit(rows)
    index.add([f"c{i}" for i in range(rows)], vectors)
    return index, vectors


def test_search_returns_exact_nearest_neighbours_by_cosine() -> None:
    index, vectors = _index()
    query = vectors[7]
    expected = np.argsort(-(vectors @ query))[:5]
    assert [c for c, _ in index.search(query, 5)] == [f"c{i}" for i in expected]


def test_removed_rows_are_never_returned_even_after_compaction() -> None:
    index, vectors = _index()
    index.remove([f"c{i}" for i in range(20)])
    assert len(index) == 30
    hits = index.search(vectors[3], 50)
    assert len(hits) == 30 and all(int(c[1:]) >= 20 for c, _ in hits)


def test_re_adding_an_id_replaces_its_vector() -> None:
    index, vectors = _index(10)
    index.add(["c0"], vectors[5:6])
    assert len(index) == 10
    np.testing.assert_allclose(index.vector("c0"), vectors[5])


def test_wrong_dimension_is_invalid_input() -> None:
    index, _ = _index(3)
    with pytest.raises(InvalidInput, match="dimension 8"):
        index.add(["x"], np.zeros((1, 4), dtype=np.float32))


def test_round_trip_and_refusal_of_another_embedders_vectors(tmp_path: Path) -> None:
    index, vectors = _index()
    index.remove(["c1"])
    index.save(tmp_path / "vectors")
    loaded = ExactVectorIndex.load(tmp_path / "vectors", embedder_model_id="test-model")
    assert loaded.search(vectors[2], 5) == index.search(vectors[2], 5)
    with pytest.raises(ArtifactRefused, match="rebuild"):
        ExactVectorIndex.load(tmp_path / "vectors", embedder_model_id="another-model")


def test_two_forks_of_one_index_keep_their_own_rows() -> None:
    index, vectors = _index(50)
    first, second = index.fork(), index.fork()
    first.add(["first"], vectors[3:4])
    second.add(["second"], -vectors[3:4])
    second.remove(["c4"])
    assert "first" in [c for c, _ in first.search(vectors[3], 2)] and "second" not in first
    assert second.search(-vectors[3], 1)[0][0] == "second" and "first" not in second
    assert "c4" in first and "c4" not in second and "c4" in index
    assert len(index) == 50 and "first" not in index and "second" not in index
    assert index.row_ids() == [f"c{i}" for i in range(50)]
    assert second.row_ids()[4] is None and second.row_ids()[-1] == "second"
