"""The pruned BM25 candidates against the exhaustive scorer, on real ticket text, through segment updates."""

from __future__ import annotations

import csv
from collections.abc import Iterator

import numpy as np
import pytest

from deskpilot.ml.lexical_candidates import Bm25Rows
from deskpilot.ml.lexical_index import Bm25Index, LexicalCandidates, term_weights

from .conftest import DATASETS

EVERY_POSTING = 1 << 62


def _ticket_texts(limit: int) -> list[str]:
    path = DATASETS / "it_tickets" / "train.csv"
    if not path.is_file():
        pytest.skip(f"shared dataset {path} is not available")
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["text"] for row, _ in zip(csv.DictReader(handle), range(limit), strict=False)]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return _ticket_texts(6000)


def _indexed(texts: list[str]) -> Bm25Index:
    index = Bm25Index(exact_below=0)
    for first in range(0, 4800, 600):  # several segments, as batched builds and updates make them
        index.add([f"t{i}" for i in range(first, first + 600)], texts[first : first + 600])
    return index


def _both(index: Bm25Index, query: str, including: list[str],
          k: int) -> tuple[LexicalCandidates, LexicalCandidates]:
    terms = term_weights([(query, 1.0)])
    pruned = index.candidates(terms, k, including)
    index.exact_below = EVERY_POSTING
    every = index.candidates(terms, k, including)
    index.exact_below = 0
    assert pruned is not None and every is not None
    return pruned, every


def _queries(texts: list[str]) -> Iterator[tuple[str, list[str]]]:
    """Unindexed tickets cut as a chat question is, each with some dense candidates to score too."""
    rng = np.random.default_rng(7)
    for text in texts[5000:5040]:
        yield text[:200], [f"t{i}" for i in sorted(rng.choice(4800, 40, replace=False))]


@pytest.mark.parametrize("k", [256, 20])
def test_pruned_candidates_are_the_exhaustive_ones_bit_for_bit(texts: list[str], k: int) -> None:
    index = _indexed(texts)
    for query, including in _queries(texts):
        pruned, every = _both(index, query, including, k)
        assert pruned.ids == every.ids
        assert np.array_equal(pruned.scores, every.scores)
        assert pruned.spread.mean == pytest.approx(every.spread.mean, rel=0.15)
        assert pruned.spread.std == pytest.approx(every.spread.std, rel=0.15)


@pytest.mark.parametrize("k", [256, 20])
def test_pruned_candidates_follow_updates_and_removals(texts: list[str], k: int) -> None:
    index = _indexed(texts)
    for n in range(20):  # one-article updates: small segments merged by size, rows removed
        index = index.fork()
        index.remove([f"t{n * 37}", f"t{n * 37 + 1}"])
        index.add([f"u{n}", f"t{n * 50}"], [texts[4800 + n], texts[4900 + n]])
    index.remove([f"t{i}" for i in range(3000, 3100)])
    assert len(index._segments) > 1
    for query, including in _queries(texts):
        live = [c for c in including if c in index]
        pruned, every = _both(index, query, live, k)
        assert pruned.ids == every.ids
        assert np.array_equal(pruned.scores, every.scores)
        assert not {f"t{i}" for i in range(3000, 3100)} & set(pruned.ids)
        # The skipped terms' share is estimated on every 16th row: ~300 rows here (the benchmark measures the
        # error at a million rows).
        assert pruned.spread.std == pytest.approx(every.spread.std, rel=0.15)


def test_pruning_leaves_most_postings_of_common_terms_unscanned(texts: list[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    index = _indexed(texts)
    scanned: list[int] = []
    add_term = Bm25Rows.add_term

    def counted(self: Bm25Rows, scores: np.ndarray, term: object) -> np.ndarray:  # type: ignore[type-arg]
        found = add_term(self, scores, term)  # type: ignore[arg-type]
        scanned.append(len(found))
        return found

    monkeypatch.setattr(Bm25Rows, "add_term", counted)
    queries = list(_queries(texts))
    for query, including in queries:
        index.candidates(term_weights([(query, 1.0)]), 20, including)
    pruned = sum(scanned)
    scanned.clear()
    index.exact_below = EVERY_POSTING
    for query, including in queries:
        index.candidates(term_weights([(query, 1.0)]), 20, including)
    assert pruned < 0.8 * sum(scanned)
