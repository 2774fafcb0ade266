"""KB retrieval at a million chunks: the approximate (IVF) index beside exact search, in the same run.

    cd benchmarks && PYTHONPATH=../src nice ../.venv/bin/python retrieval_million.py [--chunks 1000000] \
        [--real 10000] [--cache-dir ~/.cache/deskpilot-benchmarks/retrieval_million]

How the N chunks are made (embedding a million real chunks takes hours here): `--real` public texts
(../shared/datasets, shuffled) are embedded for real with MiniLM, and their throughput gives the
extrapolated time for all N. Every further chunk joins two of those real texts (its text is the two texts,
cut to 150 words) and its vector is their weighted mean (weight of the first uniform in 0.5-0.9) plus
Gaussian noise (σ = 0.01 per dimension), normalised: neighbourhoods as dense as a real corpus's, and the
words and the vector of a chunk tell the same story, so both halves of the hybrid search see realistic
data. Queries are 200 other public texts (not indexed), embedded for real; 200 further ones are the held-out
set on which the lists probed per query (`IvfParams.nprobe`) are chosen: the smallest count whose hybrid
recall@10 there reaches 0.985, reported then on the first 200 only.

The real vectors (batch by batch as they are embedded, with their time: a stopped run resumes) and the derived
ones are kept in `--cache-dir` (outside the repository), keyed by the counts and the texts, so a second run
with the same counts embeds nothing and starts building at once; the derived vectors are written there in
batches with progress, and the index is built in batches with progress too.

Reported: index build (BM25 + exact vectors, no embedding), IVF build, per query p50/p95 of the complete
hybrid search (query embedding included) exact and approximate, recall@10 of the approximate hybrid
ranking (articles) and of the IVF vector search (chunks) against exact search, and the update of one
article the way `IndexHolder` makes it, part by part: fork the live index, embed its changed chunks (for
real), apply, embed the query, first and second query on the fork; beside it, in the same run, the copies
the fork made before it shared its maps (every dictionary and id list copied), re-enacted on the same index.
The approximate hybrid runs twice, its BM25 candidates pruned (`Bm25Index.exact_below`, the default) and with
every posting scored (the path before), each with its time split per part (`retrieval_breakdown.py`); the BM25
candidates alone are also timed both ways per query (256 beside the 256 dense ones, as the hybrid asks) and
compared: same ids and scores, and the error of the sampled spread against the exact one.
The load average is printed at the start and the end (the machine is shared).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from retrieval_bench import _public_texts
from retrieval_breakdown import CANDIDATES, EVERY_POSTING, TopKComparison, breakdown, print_breakdown

from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.assist.retrieval import HybridRetriever, RetrievalQuery
from deskpilot.config import Settings
from deskpilot.evaluation.retrieval import percentile
from deskpilot.ml.ann_index import ApproximateVectorIndex
from deskpilot.ml.embeddings import DIMENSION, load_embedder
from deskpilot.ml.lexical_index import term_weights

QUERIES = 200
NPROBE_CHOICES = (8, 16, 24, 32, 48, 64, 96, 128)
TUNING_RECALL = 0.985
NOISE = 0.01
BATCH = 50_000
TITLE = "Article {}"


class _PrecomputedEmbedder:
    """The benchmark's chunk and title vectors, found by the article number in the text the index embeds
    (`Article N.` + the chunk); any other text (queries, updated articles) is embedded for real, timed."""

    dimension = DIMENSION

    def __init__(self) -> None:
        self.real = load_embedder(Settings().embedding_model)
        self.model_id = self.real.model_id
        self.texts: list[str] = []
        self.vectors: npt.NDArray[np.float32] = np.zeros((0, DIMENSION), dtype=np.float32)
        self.real_ms = 0.0

    def _row(self, text: str) -> int:
        head, _, body = text.partition(".\n")
        number = head.removeprefix("Article ")
        if not number.isdigit() or int(number) >= len(self.texts):
            return -1
        row = int(number)
        return row if (not body and head == text) or body == self.texts[row] else -1

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> npt.NDArray[np.float32]:
        rows = [self._row(t) for t in texts]
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        known = [i for i, r in enumerate(rows) if r >= 0]
        out[known] = self.vectors[[rows[i] for i in known]]
        unknown = [i for i, r in enumerate(rows) if r < 0]
        if unknown:
            started = time.perf_counter()
            out[unknown] = self.real.encode([texts[i] for i in unknown], batch_size=batch_size)
            self.real_ms += (time.perf_counter() - started) * 1000
        return out


@dataclasses.dataclass(frozen=True)
class _Corpus:
    texts: list[str]
    vectors: npt.NDArray[np.float32]
    queries: list[str]
    held_out: list[str]
    per_second: float


def _base_vectors(embedder: _PrecomputedEmbedder, base: list[str], cache: Path) -> tuple[Any, float]:
    """The real texts' vectors and the measured throughput. Each batch of 1 000 is kept in the cache as soon as it
    is embedded (with its time), so a stopped run resumes at the next batch and a complete one embeds nothing."""
    key = f"{len(base)}-{zlib.crc32(chr(0).join(base).encode()):08x}"
    found, seconds = [], 0.0
    for start in range(0, len(base), 1000):
        batch, meta = cache / f"real-{key}-{start:07d}.npy", cache / f"real-{key}-{start:07d}.json"
        if batch.is_file() and meta.is_file():
            found.append(np.load(batch))
        else:
            started = time.perf_counter()
            found.append(embedder.real.encode(base[start : start + 1000]))
            np.save(batch, found[-1])
            meta.write_text(json.dumps({"seconds": time.perf_counter() - started}))
            print(f"embedded {start + len(found[-1])}/{len(base)} real texts", flush=True)
        seconds += float(json.loads(meta.read_text())["seconds"])
    return np.vstack(found), len(base) / seconds


def _corpus(embedder: _PrecomputedEmbedder, chunks: int, real: int, cache: Path) -> _Corpus:
    cache.mkdir(parents=True, exist_ok=True)
    pool = _public_texts(real + 2 * QUERIES + 50_000)
    order = np.random.default_rng(0).permutation(len(pool))
    base = [pool[i] for i in order[:real]]
    queries = [pool[i] for i in order[real : real + QUERIES]]
    held_out = [pool[i] for i in order[real + QUERIES : real + 2 * QUERIES]]
    base_vectors, per_second = _base_vectors(embedder, base, cache)
    rng = np.random.default_rng(1)
    first, second = rng.integers(0, real, chunks - real), rng.integers(0, real, chunks - real)
    weight = rng.uniform(0.5, 0.9, size=(chunks - real, 1)).astype(np.float32)
    texts = base + [" ".join(f"{base[a]} {base[b]}".split()[:150]) for a, b in zip(first, second, strict=True)]
    path = cache / f"derived-{chunks}-{base_vectors.shape[0]}-{zlib.crc32(base_vectors.tobytes()):08x}.npy"
    if not path.is_file():
        partial = path.with_suffix(".partial")
        out = np.lib.format.open_memmap(partial, mode="w+", dtype=np.float32, shape=(chunks, DIMENSION))
        out[:real] = base_vectors
        noise = np.random.default_rng(2)
        for start in range(0, chunks - real, BATCH):
            end = min(start + BATCH, chunks - real)
            mixed = weight[start:end] * base_vectors[first[start:end]]
            mixed += (1 - weight[start:end]) * base_vectors[second[start:end]]
            mixed += noise.normal(scale=NOISE, size=mixed.shape).astype(np.float32)
            out[real + start : real + end] = mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
            print(f"derived vectors {real + end}/{chunks}", flush=True)
        out.flush()
        del out
        partial.rename(path)
    else:
        print(f"derived vectors from the cache ({path})", flush=True)
    return _Corpus(texts, np.load(path, mmap_mode="r"), queries, held_out, per_second)


def _timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, (time.perf_counter() - started) * 1000


def _rankings(index: KbIndex, queries: Sequence[RetrievalQuery]) -> tuple[list[float], list[list[str]]]:
    retriever = HybridRetriever(index)
    retriever.search(queries[0])
    times, rankings = [], []
    for query in queries:
        result, ms = _timed(retriever.search, query)
        times.append(ms)
        rankings.append([h.slug for h in result.hits[:10]])
    return times, rankings


def _recall(found: list[list[str]], truth: list[list[str]]) -> float:
    return float(np.mean([len(set(a) & set(e)) / max(1, len(e)) for a, e in zip(found, truth, strict=True)]))


def _choose_nprobe(exact: KbIndex, approximate: KbIndex, held_out: Sequence[RetrievalQuery]) -> int:
    """The fewest lists probed whose hybrid recall@10 on the held-out queries reaches TUNING_RECALL."""
    _, truth = _rankings(exact, held_out)
    lists = approximate.vectors
    assert isinstance(lists, ApproximateVectorIndex)
    for nprobe in NPROBE_CHOICES:
        lists.params = dataclasses.replace(lists.params, nprobe=nprobe)
        times, found = _rankings(approximate, held_out)
        recall = _recall(found, truth)
        print(f"held-out: nprobe {nprobe:>3}  recall@10 {recall:.3f}  p95 {percentile(times, 95):.1f} ms",
              flush=True)
        if recall >= TUNING_RECALL:
            return nprobe
    return NPROBE_CHOICES[-1]


def _build(embedder: _PrecomputedEmbedder, corpus: _Corpus) -> tuple[KbIndex, float]:
    embedder.texts, embedder.vectors = corpus.texts, corpus.vectors
    index = KbIndex(embedder)  # type: ignore[arg-type]
    started = time.perf_counter()
    for start in range(0, len(corpus.texts), BATCH):
        batch = corpus.texts[start : start + BATCH]
        index.add_documents([KbDocument(f"doc-{start + i}", 1, TITLE.format(start + i), text)
                             for i, text in enumerate(batch)], batch_size=BATCH)
        print(f"indexed {start + len(batch)}/{len(corpus.texts)} chunks "
              f"({time.perf_counter() - started:.0f} s)", flush=True)
    if embedder.real_ms:
        raise SystemExit("the corpus was embedded for real while indexing: the precomputed vectors did not match")
    return index, time.perf_counter() - started


@dataclasses.dataclass(frozen=True)
class _UpdateTimes:
    fork: float
    embed: float
    apply: float
    embed_query: float
    first_query: float
    second_query: float
    embedded: int

    @property
    def visible(self) -> float:
        """From the start of the change to the first answer that uses it (query embedding included)."""
        return self.fork + self.apply + self.embed_query + self.first_query


def _update(embedder: _PrecomputedEmbedder, index: KbIndex, document: KbDocument,
            query: RetrievalQuery) -> tuple[KbIndex, _UpdateTimes]:
    """Fork, apply, search the fork, as `IndexHolder` does, each part timed (apply includes embedding)."""
    before, embedded = embedder.real_ms, index.embedded_texts
    fresh, fork = _timed(index.fork)
    _, apply = _timed(fresh.add_documents, [document])
    embed = embedder.real_ms - before
    vector, embed_query = _timed(embedder.real.encode, [query.text])
    retriever = HybridRetriever(fresh)
    _, first = _timed(retriever.search, query, utterance_vector=vector[0])
    _, second = _timed(retriever.search, query, utterance_vector=vector[0])
    return fresh, _UpdateTimes(fork, embed, apply, embed_query, first, second, fresh.embedded_texts - embedded)


def _previous_fork_copies(index: KbIndex) -> float:
    """Milliseconds of the copies the fork made before it shared its maps: every dictionary and id list."""
    started = time.perf_counter()
    copies: list[object] = [dict(index.documents), dict(index.chunks), dict(index._chunk_ids_of)]
    history = index.history._index
    for vectors in (index.vectors, index.titles, history):
        copies += [list(vectors._ids), dict(vectors._row_of), vectors._live.copy()]
    lexical = index.lexical
    copies += [dict(lexical._vocab), list(lexical._ids), dict(lexical._row_of), lexical._df.copy(),
               lexical._live.copy(), dict(index.history._slug_of)]
    return (time.perf_counter() - started) * 1000


def _print_update(label: str, times: _UpdateTimes) -> None:
    print(f"{label:<34}{times.visible:>8.0f} ms visible: fork {times.fork:.1f}, apply {times.apply:.0f} "
          f"(of which embedding {times.embedded} texts {times.embed:.0f}), embed query {times.embed_query:.0f}, "
          f"first query {times.first_query:.1f}, second {times.second_query:.1f}")


def run(chunks: int, real: int, cache: Path) -> None:
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    embedder = _PrecomputedEmbedder()
    corpus = _corpus(embedder, chunks, real, cache)
    exact, build = _build(embedder, corpus)
    print(f"built BM25 + exact vectors over {len(exact.chunks)} chunks in {build:.0f} s", flush=True)
    lists, lists_build = _timed(ApproximateVectorIndex.from_exact, exact.vectors.fork())
    print(f"built the IVF lists in {lists_build / 1000:.0f} s", flush=True)
    approximate = exact.fork()
    approximate.vectors = lists
    queries = [RetrievalQuery.from_dialogue(t[:200]) for t in corpus.queries]
    nprobe = _choose_nprobe(exact, approximate, [RetrievalQuery.from_dialogue(t[:200]) for t in corpus.held_out])
    lists.params = dataclasses.replace(lists.params, nprobe=nprobe)
    rows_pruned = approximate.lexical.exact_below
    splits: dict[str, dict[str, list[float]]] = {}
    rows = [("exact (numpy)", *_rankings(exact, queries))]
    for label, exact_below in ((f"approx. (IVF {nprobe}), BM25 pruned", approximate.lexical.exact_below),
                               (f"approx. (IVF {nprobe}), BM25 every posting", EVERY_POSTING)):
        approximate.lexical.exact_below = exact_below
        rows.append((label, *_rankings(approximate, queries)))
        splits[label] = breakdown(approximate, queries)
    approximate.lexical.exact_below = rows_pruned
    vectors = embedder.real.encode([q.text for q in queries])
    dense_recall, dense_exact, dense_ann, lexical = [], [], [], []
    top_k = TopKComparison()
    for vector, query in zip(vectors, queries, strict=True):
        truth, ms_exact = _timed(exact.vectors.search, vector, 10)
        found, ms_ann = _timed(lists.search, vector, 10)
        terms = term_weights([(query.text, 1.0)])
        _, ms_lexical = _timed(exact.lexical.search, terms, 10)
        top_k.measure(approximate.lexical, terms, [c for c, _ in lists.search(vector, CANDIDATES)])
        dense_recall.append(len({c for c, _ in found} & {c for c, _ in truth}) / 10)
        dense_exact.append(ms_exact)
        dense_ann.append(ms_ann)
        lexical.append(ms_lexical)
    previous = [_previous_fork_copies(approximate) for _ in range(3)]
    updated = KbDocument("doc-42", 2, TITLE.format(42), "\n\n".join(corpus.queries[:8]))
    changed, first = _update(embedder, approximate, updated, queries[0])
    other = KbDocument("doc-43", 2, TITLE.format(43), "\n\n".join(corpus.queries[8:16]))
    changed, second = _update(embedder, changed, other, queries[1])
    _, again = _update(embedder, changed, dataclasses.replace(updated, version=3), queries[0])
    print(f"\nchunks indexed                {len(exact.chunks)} ({real} embedded for real, the rest derived)")
    print(f"index build (BM25 + exact)    {build:.0f} s (no embedding)")
    print(f"IVF build ({lists.tiers} tier, lists ~√n) {lists_build / 1000:.0f} s")
    print(f"embedding, measured           {corpus.per_second:.0f} chunks/s -> "
          f"{chunks / corpus.per_second / 3600:.1f} h for all (extrapolated)")
    print(f"{'per query':<40}{'p50 ms':>8}{'p95 ms':>8}{'recall@10':>11}")
    for label, times, found in rows:
        shown = f"{_recall(found, rows[0][2]):.3f}" if label.startswith("approx") else "1 (ref)"
        print(f"{'hybrid, ' + label:<40}{percentile(times, 50):>8.1f}{percentile(times, 95):>8.1f}{shown:>11}")
    print(f"{'vectors only, exact':<40}{percentile(dense_exact, 50):>8.1f}{percentile(dense_exact, 95):>8.1f}"
          f"{'1 (ref)':>11}")
    print(f"{'vectors only, IVF':<40}{percentile(dense_ann, 50):>8.1f}{percentile(dense_ann, 95):>8.1f}"
          f"{np.mean(dense_recall):>11.3f}")
    print(f"{'BM25 only (every posting scored)':<40}{percentile(lexical, 50):>8.1f}{percentile(lexical, 95):>8.1f}")
    top_k.print()
    for label, times in splits.items():
        print_breakdown(label, times)
    print(f"previous fork's copies (re-enacted) {min(previous):.0f} ms (best of 3; the fork now: "
          f"{first.fork:.1f} ms)")
    _print_update("update one article", first)
    _print_update("update a second article", second)
    _print_update("same text again (new version)", again)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=1_000_000)
    parser.add_argument("--real", type=int, default=10_000, help="chunks embedded for real")
    parser.add_argument("--cache-dir", type=Path,
                        default=Path.home() / ".cache" / "deskpilot-benchmarks" / "retrieval_million",
                        help="where the real and derived vectors are kept between runs (not the repository)")
    args = parser.parse_args()
    run(args.chunks, args.real, args.cache_dir)


if __name__ == "__main__":
    main()
