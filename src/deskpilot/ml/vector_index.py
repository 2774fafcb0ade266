"""Exact cosine search over L2-normalised vectors with numpy, saved as plain files.

Exact search is fast enough for a service-desk knowledge base (100k chunks × 384 dimensions answer
in about 10 ms here) and never misses a neighbour, so no approximate index is used.

Layout of an index directory: `manifest.json` (`ml/artifacts.py`: the embedder that made the vectors, the
thresholds tuned to it, dimension, counts), `ids.json` (one chunk id per row) and `vectors.npy` (float32,
rows × dimension).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from deskpilot.errors import InvalidInput
from deskpilot.ml.artifacts import ArtifactKind, read_manifest, write_manifest
from deskpilot.ml.tuning import EmbedderTuning, tuning_for

KIND = ArtifactKind("exact-cosine", 2, "a vector index", "rebuild the index")
Vectors = npt.NDArray[np.float32]


class VectorIndex(Protocol):
    """Nearest chunks by cosine similarity; a PostgreSQL (pgvector) table could serve it too."""

    model_id: str

    def add(self, chunk_ids: Sequence[str], vectors: Vectors) -> None: ...

    def remove(self, chunk_ids: Sequence[str]) -> None: ...

    def search(self, query: Vectors, k: int) -> list[tuple[str, float]]: ...

    def __len__(self) -> int: ...


class ExactVectorIndex:
    """Rows in a growable float32 buffer; removed rows are masked at once and dropped on compaction."""

    def __init__(self, *, model_id: str, dimension: int, tuning: EmbedderTuning | None = None) -> None:
        self.model_id = model_id
        self.dimension = dimension
        # The thresholds its vectors are compared with: the embedder's tuning, or the one stored with them.
        self.tuning = tuning or tuning_for(model_id)
        self._buffer = np.zeros((0, dimension), dtype=np.float32)
        self._size = 0
        self._ids: list[str | None] = []
        self._row_of: dict[str, int] = {}
        self._live = np.zeros(0, dtype=bool)

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, chunk_id: object) -> bool:
        return chunk_id in self._row_of

    def add(self, chunk_ids: Sequence[str], vectors: Vectors) -> None:
        """Add one vector per chunk id; an id already present is replaced."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape != (len(chunk_ids), self.dimension):
            raise InvalidInput(
                f"expected {len(chunk_ids)} vectors of dimension {self.dimension}, got shape {vectors.shape}"
            )
        self.remove([c for c in chunk_ids if c in self._row_of])
        needed = self._size + len(chunk_ids)
        if needed > len(self._buffer):
            grown = np.zeros((max(needed, 2 * len(self._buffer), 64), self.dimension), dtype=np.float32)
            grown[: self._size] = self._buffer[: self._size]
            self._buffer = grown
            live = np.zeros(len(grown), dtype=bool)
            live[: self._size] = self._live[: self._size]
            self._live = live
        self._buffer[self._size : needed] = vectors
        self._live[self._size : needed] = True
        for offset, chunk_id in enumerate(chunk_ids):
            self._ids.append(chunk_id)
            self._row_of[chunk_id] = self._size + offset
        self._size = needed

    def remove(self, chunk_ids: Sequence[str]) -> None:
        """Make the chunks unretrievable at once; compacts when a quarter of the rows are dead."""
        for chunk_id in chunk_ids:
            row = self._row_of.pop(chunk_id, None)
            if row is not None:
                self._live[row] = False
                self._ids[row] = None
        if self._size and len(self._row_of) < 0.75 * self._size:
            self._compact()

    def _compact(self) -> None:
        keep = np.flatnonzero(self._live[: self._size])
        self._buffer = np.ascontiguousarray(self._buffer[keep])
        self._ids = [self._ids[i] for i in keep]
        self._row_of = {cid: row for row, cid in enumerate(self._ids) if cid is not None}
        self._size = len(keep)
        self._live = np.ones(self._size, dtype=bool)

    def score_all(self, query: Vectors) -> npt.NDArray[np.float32]:
        """Cosine similarity of every row to `query` (removed rows score -inf)."""
        scores = self._buffer[: self._size] @ np.asarray(query, dtype=np.float32).reshape(-1)
        scores[~self._live[: self._size]] = -np.inf
        return scores

    def row_ids(self) -> list[str | None]:
        """Chunk id of each row, aligned with `score_all` (None for removed rows)."""
        return list(self._ids)

    def vector(self, chunk_id: str) -> Vectors:
        """The stored vector of one chunk."""
        vector: Vectors = self._buffer[self._row_of[chunk_id]].copy()
        return vector

    def search(self, query: Vectors, k: int) -> list[tuple[str, float]]:
        """The `k` chunks most similar to `query`, best first."""
        k = min(k, len(self._row_of))
        if k <= 0:
            return []
        scores = self.score_all(query)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self._ids[i], float(scores[i])) for i in top]

    def save(self, directory: Path) -> None:
        """Write the index as plain files (compacted first)."""
        self._compact()
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / "vectors.npy", self._buffer[: self._size])
        (directory / "ids.json").write_text(json.dumps(self._ids), encoding="utf-8")
        write_manifest(directory, KIND, embedder_model_id=self.model_id, thresholds=self.tuning.as_thresholds(),
                       details={"dimension": self.dimension, "chunks": len(self)})

    @classmethod
    def load(cls, directory: Path, *, embedder_model_id: str) -> ExactVectorIndex:
        """Read an index written by `save`; ArtifactRefused for another format or another embedder's vectors."""
        manifest = read_manifest(directory, KIND, embedder_model_id=embedder_model_id)
        index = cls(model_id=embedder_model_id, dimension=int(manifest.details["dimension"]),
                    tuning=EmbedderTuning.from_thresholds(manifest.thresholds, embedder_model_id))
        index._buffer = np.load(directory / "vectors.npy").astype(np.float32, copy=False)
        index._ids = json.loads((directory / "ids.json").read_text(encoding="utf-8"))
        index._row_of = {cid: row for row, cid in enumerate(index._ids) if cid is not None}
        index._size = len(index._ids)
        index._live = np.ones(index._size, dtype=bool)
        return index
