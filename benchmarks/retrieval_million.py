"""KB retrieval at a million chunks: the approximate (HNSW) index beside exact search, in the same run.

    PYTHONPATH=src .venv/bin/python benchmarks/retrieval_million.py [--chunks 1000000] [--real 10000]

How the N chunks are made (embedding a million real chunks takes about 1.5 h here): `--real` public texts
(../shared/datasets, shuffled) are embedded for real with MiniLM, and their throughput gives the
extrapolated time for all N. Every further chunk joins two of those real texts (its text is the two texts,
cut to 150 words) and its vector is their weighted mean (weight of the first uniform in 0.5-0.9) plus
Gaussian noise (σ = 0.01 per dimension), normalised: neighbourhoods as dense as a real corpus's, and the
words and the vector of a chunk tell the same story, so both halves of the hybrid search see realistic
data. Queries are 200 other public texts (not indexed), embedded for real; 200 further ones are the held-out
set on which the lists probed per query (`IvfParams.nprobe`) are chosen: the smallest count whose hybrid
recall@10 there reaches 0.985, reported then on the first 200 only.

Reported: index build (BM25 + exact vectors, no embedding), IVF build, per query p50/p95 of the complete
hybrid search (query embedding included) exact and approximate, recall@10 of the approximate hybrid
ranking (articles) and of the IVF vector search (chunks) against exact search, and the update of one
article the way `IndexHolder` makes it (fork the live index, embed its changed chunks, apply, first query on
the fork), plus the same update with unchanged text (nothing is embedded again). The load average is printed
at the start and the end (the machine is shared).
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import os
import time
from collections.abc import Sequence

import numpy as np
from retrieval_bench import _public_texts

from deskpilot.assist.chunking import chunk_article
from deskpilot.assist.index_store import KbDocument, KbIndex, chunk_text_for_search
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


class _PrecomputedEmbedder:
    """The benchmark's chunk and title vectors by text; anything else (queries, updates) embedded for real."""

    dimension = DIMENSION

    def __init__(self) -> None:
        self.real = load_embedder(Settings().embedding_model)
        self.model_id = self.real.model_id
        self.row_of: dict[str, int] = {}
        self.vectors = np.zeros((0, DIMENSION), dtype=np.float32)

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        rows = [self.row_of.get(t, -1) for t in texts]
        out = self.vectors[np.maximum(rows, 0)] if rows else np.zeros((0, DIMENSION), dtype=np.float32)
        unknown = [i for i, r in enumerate(rows) if r < 0]
        if unknown:
            out[unknown] = self.real.encode([texts[i] for i in unknown], batch_size=batch_size)
        return out


def _corpus(embedder: _PrecomputedEmbedder, chunks: int,
            real: int) -> tuple[list[KbDocument], list[str], list[str], float]:
    pool = _public_texts(real + 2 * QUERIES + 50_000)
    order = np.random.default_rng(0).permutation(len(pool))
    base = [pool[i] for i in order[:real]]
    queries = [pool[i] for i in order[real : real + QUERIES]]
    held_out = [pool[i] for i in order[real + QUERIES : real + 2 * QUERIES]]
    started = time.perf_counter()
    base_vectors = embedder.real.encode(base)
    per_second = real / (time.perf_counter() - started)
    rng = np.random.default_rng(1)
    first, second = rng.integers(0, real, chunks - real), rng.integers(0, real, chunks - real)
    weight = rng.uniform(0.5, 0.9, size=(chunks - real, 1)).astype(np.float32)
    mixed = weight * base_vectors[first] + (1 - weight) * base_vectors[second]
    mixed += rng.normal(scale=NOISE, size=mixed.shape).astype(np.float32)
    vectors = np.vstack([base_vectors, mixed / np.linalg.norm(mixed, axis=1, keepdims=True)]).astype(np.float32)
    texts = base + [" ".join(f"{base[a]} {base[b]}".split()[:150]) for a, b in zip(first, second, strict=True)]
    embedder.vectors = vectors
    documents = [KbDocument(f"doc-{i}", 1, f"Article {i}", text) for i, text in enumerate(texts)]
    for i, document in enumerate(documents):
        # The index embeds each chunk as the search sees it (title and headings in front): map those texts.
        for chunk in chunk_article(document.slug, 1, document.text):
            embedder.row_of[chunk_text_for_search(document, chunk)] = i
        embedder.row_of[document.title] = i
    return documents, queries, held_out, per_second


def _timed(fn: object, *args: object) -> tuple[object, float]:
    started = time.perf_counter()
    result = fn(*args)  # type: ignore[operator]
    return result, (time.perf_counter() - started) * 1000


def _rankings(index: KbIndex, queries: Sequence[RetrievalQuery]) -> tuple[list[float], list[list[str]]]:
    retriever = HybridRetriever(index)
    retriever.search(queries[0])
    times, rankings = [], []
    for query in queries:
        result, ms = _timed(retriever.search, query)
        times.append(ms)
        rankings.append([h.slug for h in result.hits[:10]])  # type: ignore[attr-defined]
    return times, rankings


def _recall(found: list[list[str]], truth: list[list[str]]) -> float:
    return float(np.mean([len(set(a) & set(e)) / max(1, len(e)) for a, e in zip(found, truth, strict=True)]))


def _choose_nprobe(exact: KbIndex, approximate: KbIndex, held_out: Sequence[RetrievalQuery]) -> int:
    """The fewest lists probed whose hybrid recall@10 on the held-out queries reaches TUNING_RECALL."""
    _, truth = _rankings(exact, held_out)
    graph = approximate.vectors
    assert isinstance(graph, ApproximateVectorIndex)
    for nprobe in NPROBE_CHOICES:
        graph.params = dataclasses.replace(graph.params, nprobe=nprobe)
        times, found = _rankings(approximate, held_out)
        recall = _recall(found, truth)
        print(f"held-out: nprobe {nprobe:>3}  recall@10 {recall:.3f}  p95 {percentile(times, 95):.1f} ms",
              flush=True)
        if recall >= TUNING_RECALL:
            return nprobe
    return NPROBE_CHOICES[-1]


def _update(index: KbIndex, document: KbDocument, query: RetrievalQuery) -> tuple[KbIndex, float, float]:
    """Fork, apply, search the fork, as `IndexHolder.current` does; returns the fork, total and fork ms."""
    started = time.perf_counter()
    fresh = index.fork()
    forked = (time.perf_counter() - started) * 1000
    fresh.add_documents([document])
    HybridRetriever(fresh).search(query)
    return fresh, (time.perf_counter() - started) * 1000, forked


def run(chunks: int, real: int) -> None:
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    embedder = _PrecomputedEmbedder()
    documents, query_texts, held_out_texts, per_second = _corpus(embedder, chunks, real)
    exact = KbIndex(embedder)  # type: ignore[arg-type]
    started = time.perf_counter()
    exact.add_documents(documents, batch_size=50_000)
    build = time.perf_counter() - started
    print(f"built BM25 + exact vectors over {len(exact.chunks)} chunks in {build:.0f} s", flush=True)
    started = time.perf_counter()
    graph = ApproximateVectorIndex.from_exact(copy.copy(exact.vectors))
    graph_build = time.perf_counter() - started
    print(f"built the IVF lists in {graph_build:.0f} s", flush=True)
    approximate = copy.copy(exact)
    approximate.vectors = graph
    queries = [RetrievalQuery.from_dialogue(t[:200]) for t in query_texts]
    nprobe = _choose_nprobe(exact, approximate, [RetrievalQuery.from_dialogue(t[:200]) for t in held_out_texts])
    graph.params = dataclasses.replace(graph.params, nprobe=nprobe)
    rows = [(label, *_rankings(index, queries)) for label, index in
            (("exact (numpy)", exact), (f"approximate (IVF, nprobe {nprobe})", approximate))]
    recall = _recall(rows[1][2], rows[0][2])
    vectors = embedder.real.encode([q.text for q in queries])
    dense_recall, dense_exact, dense_ann, lexical = [], [], [], []
    for vector, query in zip(vectors, queries, strict=True):
        truth, ms_exact = _timed(exact.vectors.search, vector, 10)
        found, ms_ann = _timed(graph.search, vector, 10)
        _, ms_lexical = _timed(exact.lexical.search, term_weights([(query.text, 1.0)]), 10)
        dense_recall.append(len({c for c, _ in found} & {c for c, _ in truth}) / 10)  # type: ignore[attr-defined]
        dense_exact.append(ms_exact)
        dense_ann.append(ms_ann)
        lexical.append(ms_lexical)
    indexed = len(exact.chunks)
    before = approximate.embedded_texts
    updated = KbDocument("doc-42", 2, "Article 42", "\n\n".join(query_texts[:8]))
    changed, update, forked = _update(approximate, updated, queries[0])
    embedded = changed.embedded_texts - before
    again, unchanged, _ = _update(changed, KbDocument("doc-42", 3, "Article 42", updated.text), queries[0])
    print(f"\nchunks indexed                {indexed} ({real} embedded for real, the rest derived)")
    print(f"index build (BM25 + exact)    {build:.0f} s (no embedding)")
    print(f"IVF build ({graph.tiers} tier, lists ~√n) {graph_build:.0f} s")
    print(f"embedding, measured           {per_second:.0f} chunks/s -> {chunks / per_second / 3600:.1f} h for all "
          "(extrapolated)")
    print(f"{'per query':<40}{'p50 ms':>8}{'p95 ms':>8}{'recall@10':>11}")
    for label, times, _ in rows:
        shown = f"{recall:.3f}" if label.startswith("approx") else "1 (ref)"
        print(f"{'hybrid, ' + label:<40}{percentile(times, 50):>8.1f}{percentile(times, 95):>8.1f}{shown:>11}")
    print(f"{'vectors only, exact':<40}{percentile(dense_exact, 50):>8.1f}{percentile(dense_exact, 95):>8.1f}"
          f"{'1 (ref)':>11}")
    print(f"{'vectors only, IVF':<40}{percentile(dense_ann, 50):>8.1f}{percentile(dense_ann, 95):>8.1f}"
          f"{np.mean(dense_recall):>11.3f}")
    print(f"{'BM25 only (every posting scored)':<40}{percentile(lexical, 50):>8.1f}{percentile(lexical, 95):>8.1f}")
    print(f"update one article            {update:.0f} ms (fork {forked:.0f} ms, {embedded} chunks embedded, "
          "first query on the fork)")
    print(f"same text again (new version) {unchanged:.0f} ms ({again.embedded_texts - changed.embedded_texts} "
          "embedded)")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=1_000_000)
    parser.add_argument("--real", type=int, default=10_000, help="chunks embedded for real")
    args = parser.parse_args()
    run(args.chunks, args.real)


if __name__ == "__main__":
    main()
