"""Exact cosine search over L2-normalised vectors with numpy, saved as plain files.

Exact search is fast enough for a service-desk knowledge base up to about 100k chunks × 384 dimensions
(about 18 ms here) and never misses a neighbour; above that the KB moves to `ml.ann_index`.

`fork` gives a copy to change while searches go on in the original, at a cost that does not grow with the
rows: the vectors and the row ids are shared (append-only: a fork appends behind the rows the original sees,
and a second fork of the same original that appends copies them first, `copy_on_write.RowsClaim`), the chunk
id → row map is a `CopyOnWriteMap` and only the live-row mask (one byte a row) is copied.

Layout of an index directory: `manifest.json` (`ml/artifacts.py`: the embedder that made the vectors, the
thresholds tuned to it, dimension, counts), `ids.json` (one chunk id per row) and `vectors.npy` (float32,
rows × dimension).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from deskpilot.errors import InvalidInput
from deskpilot.ml.artifacts import ArtifactKind, read_manifest, write_manifest
from deskpilot.ml.copy_on_write import CopyOnWriteMap, RowsClaim
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
    """Rows in a growable float32 buffer; removed rows are masked at once and dropped on compaction.

    `_ids` holds the chunk id of every row ever appended (shared with forks, so it may run past `_size`);
    whether a row is still retrievable is `_live` alone.
    """

    def __init__(self, *, model_id: str, dimension: int, tuning: EmbedderTuning | None = None) -> None:
        self.model_id = model_id
        self.dimension = dimension
        # The thresholds its vectors are compared with: the embedder's tuning, or the one stored with them.
        self.tuning = tuning or tuning_for(model_id)
        self._buffer = np.zeros((0, dimension), dtype=np.float32)
        self._size = 0
        self._ids: list[str | None] = []
        self._row_of: CopyOnWriteMap[str, int] = CopyOnWriteMap()
        self._live = np.zeros(0, dtype=bool)
        self._claim = RowsClaim(0)

    def fork(self) -> ExactVectorIndex:
        """A copy to change while searches go on in this one (the rows are shared, see the module docstring)."""
        twin = copy.copy(self)
        twin._share_rows_of(self)
        return twin

    def _share_rows_of(self, other: ExactVectorIndex) -> None:
        self._ids, self._row_of, self._live = other._ids, other._row_of.fork(), other._live.copy()

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
        if needed > len(self._buffer) or not self._claim.take(self._size, needed):
            grown = np.zeros((max(needed, 2 * len(self._buffer), 64), self.dimension), dtype=np.float32)
            grown[: self._size] = self._buffer[: self._size]
            self._buffer = grown
            self._ids = self._ids[: self._size]
            self._claim = RowsClaim(needed)
        if len(self._live) < len(self._buffer):
            live = np.zeros(len(self._buffer), dtype=bool)
            live[: self._size] = self._live[: self._size]
            self._live = live
        self._buffer[self._size : needed] = vectors
        self._live[self._size : needed] = True
        self._ids.extend(chunk_ids)
        for offset, chunk_id in enumerate(chunk_ids):
            self._row_of[chunk_id] = self._size + offset
        self._size = needed

    def remove(self, chunk_ids: Sequence[str]) -> None:
        """Make the chunks unretrievable at once; compacts when a quarter of the rows are dead."""
        for chunk_id in chunk_ids:
            row = self._row_of.pop(chunk_id, None)
            if row is not None:
                self._live[row] = False
        if self._size and len(self._row_of) < 0.75 * self._size:
            self._compact()

    def _compact(self) -> None:
        keep = np.flatnonzero(self._live[: self._size])
        self._adopt(self._buffer[keep], [self._ids[i] for i in keep])

    def _adopt(self, rows: Vectors, ids: list[str | None]) -> None:
        """Take `rows` (one per id, None: removed) as the whole index, with room for an eighth more rows, so the
        next updates append without copying every row."""
        self._buffer = np.zeros((len(rows) + len(rows) // 8, self.dimension), dtype=np.float32)
        self._buffer[: len(rows)] = rows
        self._ids = ids
        self._row_of = CopyOnWriteMap((cid, row) for row, cid in enumerate(ids) if cid is not None)
        self._size = len(ids)
        self._claim = RowsClaim(self._size)
        self._live = np.zeros(len(self._buffer), dtype=bool)
        self._live[: self._size] = [cid is not None for cid in ids]

    def score_all(self, query: Vectors) -> npt.NDArray[np.float32]:
        """Cosine similarity of every row to `query` (removed rows score -inf)."""
        scores = self._buffer[: self._size] @ np.asarray(query, dtype=np.float32).reshape(-1)
        scores[~self._live[: self._size]] = -np.inf
        return scores

    def row_ids(self) -> list[str | None]:
        """Chunk id of each row, aligned with `score_all` (None for removed rows)."""
        live = self._live[: self._size].tolist()
        return [cid if alive else None for cid, alive in zip(self._ids[: self._size], live, strict=True)]

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
        """Write the live rows as plain files (the index itself is not changed: searches may go on)."""
        keep = np.flatnonzero(self._live[: self._size])
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / "vectors.npy", self._buffer[keep])
        (directory / "ids.json").write_text(json.dumps([self._ids[i] for i in keep]), encoding="utf-8")
        write_manifest(directory, KIND, embedder_model_id=self.model_id, thresholds=self.tuning.as_thresholds(),
                       details={"dimension": self.dimension, "chunks": len(self)})

    @classmethod
    def load(cls, directory: Path, *, embedder_model_id: str) -> ExactVectorIndex:
        """Read an index written by `save`; ArtifactRefused for another format or another embedder's vectors."""
        manifest = read_manifest(directory, KIND, embedder_model_id=embedder_model_id)
        index = cls(model_id=embedder_model_id, dimension=int(manifest.details["dimension"]),
                    tuning=EmbedderTuning.from_thresholds(manifest.thresholds, embedder_model_id))
        index._adopt(np.load(directory / "vectors.npy").astype(np.float32, copy=False),
                     json.loads((directory / "ids.json").read_text(encoding="utf-8")))
        return index
