"""Approximate cosine search for large indexes: faiss inverted lists (IVF) over the rows of an exact index.

Exact search grows linearly with the rows (about 18 ms per query at 100k × 384 here, 90–180 ms at 1M); a
knowledge base with the desk's manuals and ticket history passes that. Above `Settings.ann_min_chunks`
the KB index keeps its vectors in this class instead: the same rows (so `vector`, `score_all` and the
saved files stay as the exact index has them) plus inverted lists whose labels are row numbers.

Why IVF-flat and not HNSW (docs/benchmarks.md): on 100k vectors here IVF built in 16 s (k-means on a
sample, then one assignment per row) where an HNSW graph with M=32, efConstruction=100 took 79 s (a million
rows: minutes against a quarter of an hour on a shared machine), and a probed list is scanned exactly, so
near-duplicate chunks (a desk's KB is full of them) do not hide each other as they do in a graph.

Updates never touch what a search may be reading. The lists are *tiers*, each immutable once built; rows
added since the last tier form a small *delta* searched exactly beside them. When the delta reaches
`IvfParams.delta_rows` it becomes a new tier (built over the shared, trained centroids: milliseconds), and
when there are more than `IvfParams.max_tiers` tiers, all but the first are merged into one. A removed row is
masked (a bitmap keeps it out of every tier's results and out of the delta) until compaction renumbers the
rows and trains the lists again (a quarter of the rows removed). So `fork` (a copy to change while searches
go on in the original) shares the vectors, the row ids, the tiers and the id → row map (`ml.copy_on_write`) and
copies only the live-row mask: a one-article update costs about a millisecond at any size instead of a copy of
the whole index.

Layout of an index directory: the exact index's files, plus `tier-NNN.faiss` (one per tier, with its first
and last row in the manifest) and `sample.npy` (the rows whose cosines estimate the mean and spread of all
rows' cosines, for fusion with BM25).
"""

from __future__ import annotations

import copy
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from deskpilot.errors import ProviderError
from deskpilot.ml.artifacts import ArtifactKind, read_manifest, write_manifest
from deskpilot.ml.tuning import EmbedderTuning
from deskpilot.ml.vector_index import ExactVectorIndex, Vectors

log = logging.getLogger(__name__)
KIND = ArtifactKind("ivf-cosine", 1, "an approximate vector index", "rebuild the index")
TIER_FILE = "tier-{:03d}.faiss"
SAMPLE_FILE = "sample.npy"
SAMPLE_ROWS = 4096
TRAINING_ROWS_PER_LIST = 32
KMEANS_ITERATIONS = 10


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as exc:
        raise ProviderError("The approximate vector index needs faiss-cpu; run `pip install -e .` in the "
                            "project, or raise DESKPILOT_ANN_MIN_CHUNKS to keep exact search.") from exc
    return faiss


@dataclass(frozen=True)
class IvfParams:
    """Lists probed per query (chosen on held-out queries in benchmarks/retrieval_million.py), rows searched
    exactly before they become a tier, and tiers kept before the newer ones are merged."""

    nprobe: int = 24
    delta_rows: int = 4096
    max_tiers: int = 8


@dataclass(frozen=True)
class CosineSpread:
    """Mean and standard deviation of the query's cosine over all live rows (estimated from a sample)."""

    mean: float
    std: float


@dataclass(frozen=True)
class _Tier:
    """Inverted lists over the rows `first` to `end` (exclusive); never changed once built."""

    first: int
    end: int
    lists: Any


def _times(rows: Vectors, query: Vectors) -> npt.NDArray[np.float32]:
    """`rows @ query` without BLAS: its threads spin against each other on a loaded machine (a 4096-row
    product took 22 ms there, 3 ms this way), and a few thousand rows gain nothing from them."""
    product: npt.NDArray[np.float32] = np.einsum("ij,j->i", rows, np.asarray(query, dtype=np.float32).reshape(-1))
    return product


def list_count(rows: int) -> int:
    """How many inverted lists for `rows` rows: about √rows, so a probed list holds about √rows rows."""
    return max(1, min(4096, round(math.sqrt(rows))))


class ApproximateVectorIndex(ExactVectorIndex):
    """The exact index's rows, searched through immutable IVF tiers plus an exact delta of the newest rows."""

    def __init__(self, *, model_id: str, dimension: int, tuning: EmbedderTuning | None = None,
                 params: IvfParams | None = None) -> None:
        super().__init__(model_id=model_id, dimension=dimension, tuning=tuning)
        self.params = params or IvfParams()
        self._centroids: Any = None
        self._tiers: list[_Tier] = []
        self._sample = np.zeros(0, dtype=np.int64)
        self._sample_vectors = np.zeros((0, dimension), dtype=np.float32)

    @classmethod
    def from_exact(cls, exact: ExactVectorIndex, params: IvfParams | None = None) -> ApproximateVectorIndex:
        """The same rows as `exact`, with lists trained and filled over them (about a minute at a million rows)."""
        index = cls(model_id=exact.model_id, dimension=exact.dimension, tuning=exact.tuning, params=params)
        if len(exact) < exact._size or len(exact._buffer) < exact._size + exact._size // 8:
            exact._compact()  # drops removed rows and leaves room to append: no copy of every row in an update
        index._buffer, index._size, index._claim = exact._buffer, exact._size, exact._claim
        index._share_rows_of(exact)
        index._train()
        return index

    @property
    def tiers(self) -> int:
        """How many immutable tiers the rows are in (the newest rows are in the exact delta)."""
        return len(self._tiers)

    @property
    def delta(self) -> int:
        """Rows searched exactly because no tier holds them yet."""
        return self._size - (self._tiers[-1].end if self._tiers else 0)

    def fork(self) -> ApproximateVectorIndex:
        """A copy to change while searches go on in this one: vectors, centroids and tiers are shared."""
        twin = copy.copy(self)
        twin._share_rows_of(self)
        twin._tiers = list(self._tiers)
        return twin

    def _train(self) -> None:
        """Centroids from a sample of the live rows, then one tier over all rows."""
        faiss = _faiss()
        live = np.flatnonzero(self._live[: self._size])
        if len(live) == 0:
            self._centroids, self._tiers = None, []
            return
        nlist = list_count(len(live))
        rng = np.random.default_rng(len(live))
        training = live[np.sort(rng.choice(len(live), size=min(len(live), TRAINING_ROWS_PER_LIST * nlist),
                                           replace=False))]
        self._centroids = faiss.IndexFlatIP(self.dimension)
        trainer = faiss.IndexIVFFlat(self._centroids, self.dimension, nlist, faiss.METRIC_INNER_PRODUCT)
        trainer.cp.niter = KMEANS_ITERATIONS
        trainer.cp.min_points_per_centroid = 1
        trainer.train(np.ascontiguousarray(self._buffer[training]))
        self._tiers = [self._tier(0, self._size)]
        self._resample()
        log.info("IVF lists trained: %d lists over %d vectors", nlist, self._size)

    def _tier(self, first: int, end: int) -> _Tier:
        faiss = _faiss()
        lists = faiss.IndexIVFFlat(self._centroids, self.dimension, self._centroids.ntotal,
                                   faiss.METRIC_INNER_PRODUCT)
        rows = np.arange(first, end, dtype=np.int64)
        keep = rows[self._live[first:end]]
        if len(keep):
            lists.add_with_ids(np.ascontiguousarray(self._buffer[keep]), keep)
        return _Tier(first, end, lists)

    def _resample(self) -> None:
        live = np.flatnonzero(self._live[: self._size])
        rng = np.random.default_rng(len(live))
        self._sample = np.sort(rng.choice(live, size=min(SAMPLE_ROWS, len(live)), replace=False))
        self._sample_vectors = self._buffer[self._sample]  # a copy: no gather from all rows per query

    def add(self, chunk_ids: Sequence[str], vectors: Vectors) -> None:
        """Add (or replace) rows: searched exactly at once, moved into a new tier when the delta is full."""
        super().add(chunk_ids, vectors)
        if self._centroids is None:
            self._train()
            return
        if self.delta >= self.params.delta_rows:
            start = self._tiers[-1].end if self._tiers else 0
            self._tiers.append(self._tier(start, self._size))
            if len(self._tiers) > self.params.max_tiers:
                self._tiers = [self._tiers[0], self._tier(self._tiers[1].first, self._size)]
        if len(self._sample) < min(SAMPLE_ROWS, len(self)):
            self._resample()

    def _compact(self) -> None:
        if self._size == len(self._row_of):
            return
        super()._compact()
        self._train()

    def search(self, query: Vectors, k: int) -> list[tuple[str, float]]:
        """About the `k` live rows most similar to `query`, best first: the tiers' probed lists, and the delta."""
        k = min(k, len(self._row_of))
        if k <= 0:
            return []
        vector = np.asarray(query, dtype=np.float32).reshape(1, -1)
        scores, rows = [], []
        bitmap = self._live_bitmap()
        params = self._search_params(bitmap)
        for tier in self._tiers:
            found, labels = tier.lists.search(vector, k, params=params)
            scores.append(found[0])
            rows.append(labels[0])
        del bitmap  # held until here: the selector points into it
        start = self._tiers[-1].end if self._tiers else 0
        if start < self._size:
            delta = self._buffer[start : self._size] @ vector[0]
            delta[~self._live[start : self._size]] = -np.inf
            scores.append(delta)
            rows.append(np.arange(start, self._size))
        all_scores, all_rows = np.concatenate(scores), np.concatenate(rows)
        valid = (all_rows >= 0) & np.isfinite(all_scores)
        all_scores, all_rows = all_scores[valid], all_rows[valid]
        best = np.argsort(-all_scores, kind="stable")[:k]
        ids = self._ids
        return [(str(ids[r]), s) for r, s in zip(all_rows[best].tolist(), all_scores[best].tolist(), strict=True)]

    def _live_bitmap(self) -> npt.NDArray[np.uint8] | None:
        if len(self._row_of) == self._size:
            return None
        return np.packbits(self._live[: self._size], bitorder="little")

    def _search_params(self, bitmap: npt.NDArray[np.uint8] | None) -> Any:
        faiss = _faiss()
        params = faiss.SearchParametersIVF()
        params.nprobe = self.params.nprobe
        if bitmap is not None:
            params.sel = faiss.IDSelectorBitmap(self._size, faiss.swig_ptr(bitmap))
        return params

    def cosine_spread(self, query: Vectors) -> CosineSpread:
        """The mean and spread of every live row's cosine to `query`, estimated on a fixed sample of rows."""
        live = self._live[self._sample]
        if not live.any():
            return CosineSpread(0.0, 1.0)
        cosines = _times(self._sample_vectors, query)[live]
        return CosineSpread(float(cosines.mean()), float(cosines.std()) or 1.0)

    def cosines(self, query: Vectors, chunk_ids: Sequence[str]) -> npt.NDArray[np.float32]:
        """The exact cosine of each named row to `query`."""
        return _times(self._buffer[np.asarray(self._row_of.values_of(chunk_ids), dtype=np.int64)], query)

    def save(self, directory: Path) -> None:
        """Write the rows as the exact index does (without compacting), the tiers and the sample."""
        faiss = _faiss()
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / "vectors.npy", self._buffer[: self._size])
        (directory / "ids.json").write_text(json.dumps(self.row_ids()), encoding="utf-8")
        np.save(directory / SAMPLE_FILE, self._sample)
        for number, tier in enumerate(self._tiers):
            faiss.write_index(tier.lists, str(directory / TIER_FILE.format(number)))
        write_manifest(directory, KIND, embedder_model_id=self.model_id, thresholds=self.tuning.as_thresholds(),
                       details={"dimension": self.dimension, "chunks": len(self), "rows": self._size,
                                "tiers": [[t.first, t.end] for t in self._tiers], "nprobe": self.params.nprobe,
                                "delta_rows": self.params.delta_rows, "max_tiers": self.params.max_tiers})

    @classmethod
    def load(cls, directory: Path, *, embedder_model_id: str) -> ApproximateVectorIndex:
        """Read an index written by `save`; ArtifactRefused for another format or another embedder's vectors."""
        faiss = _faiss()
        manifest = read_manifest(directory, KIND, embedder_model_id=embedder_model_id)
        details = manifest.details
        params = IvfParams(int(details["nprobe"]), int(details["delta_rows"]), int(details["max_tiers"]))
        index = cls(model_id=embedder_model_id, dimension=int(details["dimension"]), params=params,
                    tuning=EmbedderTuning.from_thresholds(manifest.thresholds, embedder_model_id))
        index._adopt(np.load(directory / "vectors.npy").astype(np.float32, copy=False),
                     json.loads((directory / "ids.json").read_text(encoding="utf-8")))
        index._sample = np.load(directory / SAMPLE_FILE).astype(np.int64)
        index._sample_vectors = index._buffer[index._sample]
        for number, (first, end) in enumerate(details["tiers"]):
            lists = faiss.read_index(str(directory / TIER_FILE.format(number)))
            index._tiers.append(_Tier(int(first), int(end), lists))
        if index._tiers:
            index._centroids = faiss.downcast_index(index._tiers[0].lists.quantizer)
        else:
            index._train()
        return index


def is_saved_approximate(directory: Path) -> bool:
    """Whether `directory` holds an approximate index (rather than an exact one)."""
    return (directory / TIER_FILE.format(0)).is_file()
