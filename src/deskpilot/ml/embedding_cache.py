"""Chunk vectors kept on disk by content hash, so a rebuild resumes where it stopped and embeds no text twice.

Embedding is the slow part of indexing (about 190 chunks/s here: a million chunks take about 1.5 h). The
cache embeds the texts it does not hold in batches and writes each batch as one shard before the next
starts, reporting progress after each; a rebuild that is stopped (killed, deployed over, out of memory)
loses at most one batch, and the next one embeds only what is missing. Unchanged text is never embedded
again, whatever article or version it belongs to.

Layout: one directory per embedder, `shard-<random hex>.npz` files holding `hashes` (hex SHA-256 of the
text) and `vectors` (float32, rows × dimension). A shard is written beside its final name and renamed, so a
half-written one is never read, and its name is random, so several processes embedding into one directory
(app processes and workers sharing `DESKPILOT_DATA_DIR`) never overwrite each other's shards.

`retain` forgets every vector but those of the given texts (after a complete rebuild, the texts it used): the
cache would otherwise keep, forever, the vector of every text it ever embedded, an erased person's included.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from deskpilot.ml.embeddings import Embedder

log = logging.getLogger(__name__)
Vectors = npt.NDArray[np.float32]
Progress = Callable[[int, int], None]
BATCH = 1024
_SHARD = re.compile(r"shard-[0-9a-f]+\.npz")


def text_hash(text: str) -> str:
    """The content hash under which a text's vector is kept."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def directory_of(root: Path, model_id: str) -> Path:
    """The directory under `root` holding one embedder's shards."""
    return root / re.sub(r"[^A-Za-z0-9_.-]", "_", model_id)


class EmbeddingCache:
    """Vectors by text hash for one embedder, read from and appended to a directory of shards."""

    def __init__(self, directory: Path, embedder: Embedder, *, progress: Progress | None = None,
                 hashes_only: bool = False) -> None:
        """With `hashes_only` the shards' vectors are not read (a batch of a distributed rebuild only adds
        shards: it needs to know which texts are cached, not their vectors); `encode` is then refused."""
        self.embedder = embedder
        self.progress = progress
        self.hashes_only = hashes_only
        self.directory = directory_of(directory, embedder.model_id)
        self._vectors: dict[str, Vectors] = {}
        self._known: set[str] = set()
        self._shards_seen: list[Path] = []
        self.used: set[str] = set()
        for shard in sorted(self.directory.glob("shard-*.npz")):
            if _SHARD.fullmatch(shard.name) is None:
                continue
            with np.load(shard) as data:
                hashes = [str(h) for h in data["hashes"]]
                if not hashes_only:
                    vectors = data["vectors"].astype(np.float32)
                    if vectors.shape[1:] != (embedder.dimension,):
                        log.warning("%s: vectors of dimension %s ignored", shard, vectors.shape[1:])
                        continue
                    self._vectors.update(zip(hashes, vectors, strict=True))
            self._known.update(hashes)
            self._shards_seen.append(shard)

    def __len__(self) -> int:
        return len(self._known)

    def missing(self, texts: Sequence[str]) -> list[str]:
        """The texts (each once, in order) whose vectors are not cached."""
        todo: dict[str, str] = {}
        for text in texts:
            digest = text_hash(text)
            if digest not in self._known:
                todo.setdefault(digest, text)
        return list(todo.values())

    def fill(self, texts: Sequence[str], *, batch: int = BATCH) -> int:
        """Embed the texts not cached, `batch` at a time, each batch saved as a shard at once; how many.

        `self.progress(done, total)` is called after each saved batch with the count of texts embedded so far
        and the count this call has to embed."""
        todo = self.missing(texts)
        started = time.monotonic()
        for first in range(0, len(todo), batch):
            part = todo[first : first + batch]
            self._store([text_hash(t) for t in part], self.embedder.encode(part))
            done = first + len(part)
            log.info("embedded %d/%d texts (%.0f/s)", done, len(todo), done / max(time.monotonic() - started, 1e-9))
            if self.progress is not None:
                self.progress(done, len(todo))
        return len(todo)

    def encode(self, texts: Sequence[str], *, batch: int = BATCH) -> Vectors:
        """The vectors of `texts`; those not cached are embedded first (`fill`)."""
        if self.hashes_only:
            raise ValueError("this embedding cache was opened without its vectors (hashes_only)")
        self.used.update(text_hash(t) for t in texts)
        self.fill(texts, batch=batch)
        out = np.zeros((len(texts), self.embedder.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = self._vectors[text_hash(text)]
        return out

    def retain(self, hashes: set[str]) -> int:
        """Keep only the vectors of `hashes` (in one new shard) and delete the shards this cache read or wrote;
        how many vectors were dropped. Shards another process wrote meanwhile are left as they are."""
        dropped = [digest for digest in self._vectors if digest not in hashes]
        if not dropped:
            return 0
        old, self._shards_seen = self._shards_seen, []
        kept = {digest: vector for digest, vector in self._vectors.items() if digest in hashes}
        self._vectors, self._known = {}, set()
        if kept:
            self._store(list(kept), np.stack(list(kept.values())))
        for shard in old:
            shard.unlink(missing_ok=True)
        return len(dropped)

    def _store(self, hashes: list[str], vectors: Vectors) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / f"shard-{uuid.uuid4().hex}.npz"
        partial = final.with_name(f"{final.stem}.partial-{os.getpid()}.npz")
        np.savez(partial, hashes=np.asarray(hashes), vectors=np.asarray(vectors, dtype=np.float32))
        partial.rename(final)
        self._shards_seen.append(final)
        self._known.update(hashes)
        if not self.hashes_only:
            self._vectors.update(zip(hashes, np.asarray(vectors, dtype=np.float32), strict=True))
