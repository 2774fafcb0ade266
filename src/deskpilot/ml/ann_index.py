"""Approximate cosine search for large indexes: a faiss HNSW graph over the rows of an exact index.

Exact search grows linearly with the rows (about 18 ms per query at 100k × 384 here, 180 ms at 1M); a
knowledge base with the desk's manuals and ticket history passes that. Above `Settings.ann_min_chunks`
the KB index keeps its vectors in this class instead: the same rows (so `vector`, `score_all` and the
saved files stay as the exact index has them) plus an HNSW graph whose labels are row numbers.

faiss's HNSW cannot delete, so a removed row is masked (the graph still walks through it, a bitmap of the
live rows keeps it out of the results) and the graph is built again when compaction renumbers the rows (a
quarter of them removed). A new article version is added to the graph in place: a one-article update is cheap.
Layout of an index directory: the exact index's files, plus `graph.faiss` and `sample.npy` (the rows
whose cosines estimate the mean and spread of all rows' cosines, for fusion with BM25).
"""

from __future__ import annotations

import json
import logging
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
KIND = ArtifactKind("hnsw-cosine", 1, "an approximate vector index", "rebuild the index")
GRAPH_FILE = "graph.faiss"
SAMPLE_FILE = "sample.npy"
SAMPLE_ROWS = 4096


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as exc:
        raise ProviderError("The approximate vector index needs faiss-cpu; run `pip install -e .` in the "
                            "project, or raise DESKPILOT_ANN_MIN_CHUNKS to keep exact search.") from exc
    return faiss


@dataclass(frozen=True)
class HnswParams:
    """Graph degree, build and search breadth (chosen in benchmarks/retrieval_bench.py `ann`)."""

    m: int = 16
    ef_construction: int = 40
    ef_search: int = 256


@dataclass(frozen=True)
class CosineSpread:
    """Mean and standard deviation of the query's cosine over all live rows (estimated from a sample)."""

    mean: float
    std: float


class HnswVectorIndex(ExactVectorIndex):
    """The exact index's rows, searched through an HNSW graph; removed rows are masked until compaction."""

    def __init__(self, *, model_id: str, dimension: int, tuning: EmbedderTuning | None = None,
                 params: HnswParams | None = None) -> None:
        super().__init__(model_id=model_id, dimension=dimension, tuning=tuning)
        self.params = params or HnswParams()
        self._graph = self._new_graph()
        self._sample = np.zeros(0, dtype=np.int64)

    @classmethod
    def from_exact(cls, exact: ExactVectorIndex, params: HnswParams | None = None) -> HnswVectorIndex:
        """The same rows as `exact`, with a graph built over them (minutes at a million rows)."""
        index = cls(model_id=exact.model_id, dimension=exact.dimension, tuning=exact.tuning, params=params)
        exact._compact()
        index._buffer, index._size = exact._buffer, exact._size
        index._ids, index._row_of, index._live = list(exact._ids), dict(exact._row_of), exact._live.copy()
        index._rebuild_graph()
        return index

    def __deepcopy__(self, memo: dict[int, Any]) -> HnswVectorIndex:
        # faiss objects are not copyable by `copy`; clone the graph, copy the rows.
        twin = HnswVectorIndex(model_id=self.model_id, dimension=self.dimension, tuning=self.tuning,
                               params=self.params)
        twin._buffer, twin._size, twin._live = self._buffer.copy(), self._size, self._live.copy()
        twin._ids, twin._row_of, twin._sample = list(self._ids), dict(self._row_of), self._sample.copy()
        twin._graph = _faiss().clone_index(self._graph)
        memo[id(self)] = twin
        return twin

    def _new_graph(self) -> Any:
        faiss = _faiss()
        graph = faiss.IndexHNSWFlat(self.dimension, self.params.m, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = self.params.ef_construction
        return graph

    def _rebuild_graph(self) -> None:
        self._graph = self._new_graph()
        self._extend_graph()
        self._resample()
        log.info("HNSW graph built over %d vectors", self._size)

    def _extend_graph(self) -> None:
        """Add the rows the graph does not hold yet (the graph's labels are row numbers)."""
        start = int(self._graph.ntotal)
        if start < self._size:
            self._graph.add(np.ascontiguousarray(self._buffer[start : self._size]))

    def _resample(self) -> None:
        live = np.flatnonzero(self._live[: self._size])
        rng = np.random.default_rng(len(live))
        self._sample = np.sort(rng.choice(live, size=min(SAMPLE_ROWS, len(live)), replace=False))

    def add(self, chunk_ids: Sequence[str], vectors: Vectors) -> None:
        """Add (or replace) rows and link them into the graph at once."""
        super().add(chunk_ids, vectors)
        self._extend_graph()
        if len(self._sample) < min(SAMPLE_ROWS, len(self)):
            self._resample()

    def _compact(self) -> None:
        if self._size == len(self._row_of):
            return
        super()._compact()
        self._rebuild_graph()

    def search(self, query: Vectors, k: int) -> list[tuple[str, float]]:
        """About the `k` live rows most similar to `query`, best first; the walk skips masked rows."""
        k = min(k, len(self._row_of))
        if k <= 0:
            return []
        faiss = _faiss()
        search_params = faiss.SearchParametersHNSW()
        search_params.efSearch = max(self.params.ef_search, k)
        live_bitmap = None
        if len(self._row_of) < self._size:
            live_bitmap = np.packbits(self._live[: self._size], bitorder="little")
            search_params.sel = faiss.IDSelectorBitmap(self._size, faiss.swig_ptr(live_bitmap))
        vector = np.asarray(query, dtype=np.float32).reshape(1, -1)
        scores, rows = self._graph.search(vector, k, params=search_params)
        del live_bitmap  # held until here: the selector points into it
        return [(str(self._ids[r]), float(s)) for r, s in zip(rows[0], scores[0], strict=True)
                if r >= 0 and self._live[r]]

    def cosine_spread(self, query: Vectors) -> CosineSpread:
        """The mean and spread of every live row's cosine to `query`, estimated on a fixed sample of rows."""
        rows = self._sample[self._live[self._sample]]
        if len(rows) == 0:
            return CosineSpread(0.0, 1.0)
        cosines = self._buffer[rows] @ np.asarray(query, dtype=np.float32).reshape(-1)
        return CosineSpread(float(cosines.mean()), float(cosines.std()) or 1.0)

    def cosines(self, query: Vectors, chunk_ids: Sequence[str]) -> npt.NDArray[np.float32]:
        """The exact cosine of each named row to `query`."""
        rows = np.asarray([self._row_of[c] for c in chunk_ids], dtype=np.int64)
        scores: npt.NDArray[np.float32] = self._buffer[rows] @ np.asarray(query, dtype=np.float32).reshape(-1)
        return scores

    def save(self, directory: Path) -> None:
        """Write the rows as the exact index does (without compacting), the graph and the sample."""
        faiss = _faiss()
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / "vectors.npy", self._buffer[: self._size])
        (directory / "ids.json").write_text(json.dumps(self._ids), encoding="utf-8")
        np.save(directory / SAMPLE_FILE, self._sample)
        faiss.write_index(self._graph, str(directory / GRAPH_FILE))
        write_manifest(directory, KIND, embedder_model_id=self.model_id, thresholds=self.tuning.as_thresholds(),
                       details={"dimension": self.dimension, "chunks": len(self), "rows": self._size,
                                "m": self.params.m, "ef_construction": self.params.ef_construction,
                                "ef_search": self.params.ef_search})

    @classmethod
    def load(cls, directory: Path, *, embedder_model_id: str) -> HnswVectorIndex:
        """Read an index written by `save`; ArtifactRefused for another format or another embedder's vectors."""
        faiss = _faiss()
        manifest = read_manifest(directory, KIND, embedder_model_id=embedder_model_id)
        details = manifest.details
        params = HnswParams(int(details["m"]), int(details["ef_construction"]), int(details["ef_search"]))
        index = cls(model_id=embedder_model_id, dimension=int(details["dimension"]), params=params,
                    tuning=EmbedderTuning.from_thresholds(manifest.thresholds, embedder_model_id))
        index._buffer = np.load(directory / "vectors.npy").astype(np.float32, copy=False)
        index._ids = json.loads((directory / "ids.json").read_text(encoding="utf-8"))
        index._size = len(index._ids)
        index._row_of = {cid: row for row, cid in enumerate(index._ids) if cid is not None}
        index._live = np.asarray([cid is not None for cid in index._ids], dtype=bool)
        index._sample = np.load(directory / SAMPLE_FILE).astype(np.int64)
        index._graph = faiss.read_index(str(directory / GRAPH_FILE))
        if int(index._graph.ntotal) != index._size:
            index._rebuild_graph()
        return index


def is_saved_hnsw(directory: Path) -> bool:
    """Whether `directory` holds an approximate index (rather than an exact one)."""
    return (directory / GRAPH_FILE).is_file()

