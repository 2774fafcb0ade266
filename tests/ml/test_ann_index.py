from pathlib import Path

import numpy as np

from deskpilot.ml.ann_index import ApproximateVectorIndex, IvfParams
from deskpilot.ml.artifacts import ArtifactRefused
from deskpilot.ml.vector_index import ExactVectorIndex

DIMENSION = 32


def _clustered(rows: int, seed: int = 0) -> np.ndarray:
    """Unit vectors around 40 centres, like embeddings of texts on a few dozen topics."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, DIMENSION))
    vectors = centres[rng.integers(0, 40, rows)] + 0.4 * rng.normal(size=(rows, DIMENSION))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def _indexes(rows: int = 3000) -> tuple[ExactVectorIndex, ApproximateVectorIndex, np.ndarray]:
    vectors = _clustered(rows)
    exact = ExactVectorIndex(model_id="test-model", dimension=DIMENSION)
    exact.add([f"c{i}" for i in range(rows)], vectors)
    approximate = ApproximateVectorIndex.from_exact(exact.fork(), IvfParams(delta_rows=64, max_tiers=3))
    return exact, approximate, vectors


def test_ivf_finds_at_least_98_percent_of_the_exact_ten_nearest() -> None:
    exact, approximate, _ = _indexes()
    queries = _clustered(100, seed=1)
    recall = np.mean([len({c for c, _ in approximate.search(q, 10)} & {c for c, _ in exact.search(q, 10)}) / 10
                      for q in queries])
    assert recall >= 0.98


def test_removed_and_replaced_rows_are_never_returned_and_new_ones_are_found_at_once() -> None:
    _, approximate, vectors = _indexes(500)
    approximate.remove(["c7"])
    assert "c7" not in [c for c, _ in approximate.search(vectors[7], 20)]
    approximate.add(["c8"], vectors[7:8])
    assert approximate.search(vectors[7], 1)[0][0] == "c8"
    approximate.add(["fresh"], -vectors[3:4])
    assert approximate.search(-vectors[3], 1) == [("fresh", approximate.search(-vectors[3], 1)[0][1])]
    assert len(approximate) == 500


def test_new_rows_pass_from_the_exact_delta_into_tiers_and_stay_found() -> None:
    exact, approximate, _ = _indexes(500)
    fresh = _clustered(300, seed=2)
    for first in range(0, 300, 30):
        ids = [f"n{first + i}" for i in range(30)]
        approximate.add(ids, fresh[first : first + 30])
        exact.add(ids, fresh[first : first + 30])
    assert approximate.tiers <= 1 + 3 and approximate.delta < 64
    for query in fresh[::37]:
        assert [c for c, _ in approximate.search(query, 5)] == [c for c, _ in exact.search(query, 5)]


def test_a_fork_changes_without_touching_the_index_searches_are_using() -> None:
    _, approximate, vectors = _indexes(500)
    before = approximate.search(vectors[5], 5)
    changed = approximate.fork()
    changed.remove(["c5"])
    changed.add(["twin"], vectors[5:6])
    other = approximate.fork()  # a second fork of the same original appends to its own rows
    other.add(["other"], -vectors[5:6])
    assert changed.search(vectors[5], 1)[0][0] == "twin"
    assert "c5" not in [c for c, _ in changed.search(vectors[5], 20)]
    assert approximate.search(vectors[5], 5) == before
    assert other.search(-vectors[5], 1)[0][0] == "other" and "twin" not in other
    assert changed.vector("twin").tolist() == vectors[5].tolist()


def test_compaction_rebuilds_the_lists_over_the_rows_that_remain() -> None:
    exact, approximate, vectors = _indexes(400)
    gone = [f"c{i}" for i in range(150)]
    approximate.remove(gone)
    exact.remove(gone)
    assert len(approximate) == 250
    found = [c for c, _ in approximate.search(vectors[200], 10)]
    assert set(found) == {c for c, _ in exact.search(vectors[200], 10)}


def test_the_cosine_spread_estimates_that_of_all_rows() -> None:
    exact, approximate, vectors = _indexes()
    query = vectors[11]
    cosines = exact.score_all(query)
    spread = approximate.cosine_spread(query)
    assert abs(spread.mean - float(cosines.mean())) < 0.05
    assert abs(spread.std - float(cosines.std())) < 0.05


def test_saved_graph_loads_with_the_same_answers_and_refuses_another_embedder(tmp_path: Path) -> None:
    _, approximate, vectors = _indexes(500)
    approximate.remove(["c1"])
    approximate.save(tmp_path / "ann")
    loaded = ApproximateVectorIndex.load(tmp_path / "ann", embedder_model_id="test-model")
    assert loaded.search(vectors[1], 5) == approximate.search(vectors[1], 5)
    assert len(loaded) == 499
    try:
        ApproximateVectorIndex.load(tmp_path / "ann", embedder_model_id="another-model")
    except ArtifactRefused as refused:
        assert "another-model" in str(refused) or "test-model" in str(refused)
    else:
        raise AssertionError("an index of another embedder's vectors was loaded")
