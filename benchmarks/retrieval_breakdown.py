"""Where a hybrid query's time goes: each part of `HybridRetriever.search` over an approximate index, timed.

The parts are timed by wrapping the methods on the instances (nothing in the library is changed): query
embedding (the retriever's turn vectors), vector candidates (IVF search), BM25 candidates (top k and the spread
of the scores), dense statistics (the candidates' cosines and the sampled cosine spread), fusion (the rest of
the fused scores: z-normalisation and the weighted sum), articles (grouping chunks, history) and the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from deskpilot.assist.index_store import KbIndex
from deskpilot.assist.retrieval import HybridRetriever, RetrievalQuery
from deskpilot.evaluation.retrieval import percentile
from deskpilot.ml.lexical_index import Bm25Index

CANDIDATES = 256
EVERY_POSTING = 1 << 62  # `exact_below` that keeps every index on the exhaustive path
PARTS = ("query embedding", "vector candidates", "BM25 candidates", "dense statistics", "fusion", "articles",
         "the rest")


class _Clock:
    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    def wrap(self, owner: Any, name: str, part: str) -> None:
        """Time every call of `owner.name` into `part` (an instance attribute shadows the method)."""
        method: Callable[..., Any] = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.spent[part] = self.spent.get(part, 0.0) + (time.perf_counter() - started) * 1000

        setattr(owner, name, timed)


def breakdown(index: KbIndex, queries: Sequence[RetrievalQuery]) -> dict[str, list[float]]:
    """Per part, its milliseconds in each query (fusion and the rest are what their parent left over)."""
    retriever = HybridRetriever(index)
    clock = _Clock()
    clock.wrap(retriever, "_turn_vectors", "query embedding")
    clock.wrap(index.vectors, "search", "vector candidates")
    clock.wrap(index.lexical, "candidates", "BM25 candidates")
    clock.wrap(index.vectors, "cosines", "dense statistics")
    clock.wrap(index.vectors, "cosine_spread", "dense statistics")
    clock.wrap(retriever, "_fused_candidate_scores", "fused")
    clock.wrap(retriever, "_articles", "articles")
    retriever.search(queries[0])
    times: dict[str, list[float]] = {part: [] for part in PARTS}
    try:
        for query in queries:
            clock.spent = {}
            started = time.perf_counter()
            retriever.search(query)
            total = (time.perf_counter() - started) * 1000
            spent = clock.spent
            inner = sum(spent.get(p, 0.0) for p in ("vector candidates", "BM25 candidates", "dense statistics"))
            spent["fusion"] = spent.get("fused", 0.0) - inner
            spent["the rest"] = total - spent.get("query embedding", 0.0) - spent.get("fused", 0.0) \
                - spent.get("articles", 0.0)
            for part in PARTS:
                times[part].append(spent.get(part, 0.0))
    finally:
        for owner, name in ((index.vectors, "search"), (index.lexical, "candidates"), (index.vectors, "cosines"),
                            (index.vectors, "cosine_spread")):
            delattr(owner, name)
    return times


def print_breakdown(label: str, times: dict[str, list[float]]) -> None:
    """A table of the parts: mean, p50 and p95 per query, and the share of the mean total."""
    total = sum(float(np.mean(v)) for v in times.values()) or 1.0
    print(f"\ntime split per hybrid query, {label}")
    print(f"{'part':<22}{'mean ms':>9}{'p50 ms':>9}{'p95 ms':>9}{'share':>8}")
    for part, values in times.items():
        mean = float(np.mean(values))
        print(f"{part:<22}{mean:>9.1f}{percentile(values, 50):>9.1f}{percentile(values, 95):>9.1f}"
              f"{mean / total:>8.0%}")


class TopKComparison:
    """BM25 candidates (top k beside the given dense candidates, and the spread) both ways on one index."""

    def __init__(self) -> None:
        self.every: list[float] = []
        self.pruned: list[float] = []
        self.identical = 0
        self.std_error: list[float] = []
        self.mean_error: list[float] = []

    def measure(self, lexical: Bm25Index, terms: Mapping[str, float], including: Sequence[str]) -> None:
        """Time one query both ways and compare what they found."""
        kept = lexical.exact_below
        try:
            lexical.exact_below = EVERY_POSTING
            started = time.perf_counter()
            every = lexical.candidates(terms, CANDIDATES, including)
            self.every.append((time.perf_counter() - started) * 1000)
            lexical.exact_below = 0
            started = time.perf_counter()
            pruned = lexical.candidates(terms, CANDIDATES, including)
            self.pruned.append((time.perf_counter() - started) * 1000)
        finally:
            lexical.exact_below = kept
        if every is None or pruned is None:
            return
        self.identical += every.ids == pruned.ids and bool(np.array_equal(every.scores, pruned.scores))
        self.std_error.append(abs(pruned.spread.std / every.spread.std - 1))
        self.mean_error.append(abs(pruned.spread.mean / every.spread.mean - 1))

    def print(self) -> None:
        every, pruned = self.every, self.pruned
        print(f"\nBM25 candidates ({CANDIDATES} best beside the {CANDIDATES} dense ones, with the spread), "
              f"{len(every)} queries")
        print(f"{'every posting scored':<40}{percentile(every, 50):>8.1f}{percentile(every, 95):>8.1f}")
        print(f"{'pruned (MaxScore, sampled spread)':<40}{percentile(pruned, 50):>8.1f}{percentile(pruned, 95):>8.1f}"
              f"   ratio p50 {percentile(every, 50) / max(percentile(pruned, 50), 1e-9):.2f}×")
        print(f"same ids and scores (bit for bit): {self.identical} of {len(self.std_error)} queries; spread vs "
              f"exact: std error p50 {percentile(self.std_error, 50):.4f}, p95 {percentile(self.std_error, 95):.4f}"
              f", max {max(self.std_error, default=0.0):.4f}; mean error p95 {percentile(self.mean_error, 95):.4f}")
