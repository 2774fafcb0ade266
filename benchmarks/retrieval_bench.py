"""KB retrieval benchmarks: 100k-chunk scale, and cross-validated fusion weights on doc2dial.

    .venv/bin/python benchmarks/retrieval_bench.py scale [--chunks 100000]
    .venv/bin/python benchmarks/retrieval_bench.py cv

`scale` builds a KB index of N chunks made of public texts (../shared/datasets), measures the full
build, the p50/p95 of complete hybrid queries (query embedding included) and the update of one
article, beside exact-vector-only and BM25-only search. Chunk vectors are embedded for real for
a sample and the embedding time of all N is extrapolated from its throughput (stated as such);
the remaining vectors are random unit vectors, which cost exactly the same to search.

`cv` chooses turn weights and the fusion weight by 5-fold cross-validation over doc2dial dialogues
and prints the held-out figures (the defaults in deskpilot.assist.retrieval come from this run).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.assist.retrieval import HybridRetriever, RetrievalQuery
from deskpilot.config import Settings
from deskpilot.evaluation.retrieval import percentile
from deskpilot.ml.embeddings import DIMENSION, load_embedder
from deskpilot.ml.lexical_index import term_weights

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets"
csv.field_size_limit(sys.maxsize)


class _SampledEmbedder:
    """Real MiniLM for queries; for bulk chunk indexing, random unit vectors (same search cost)."""

    model_id = "bench-random-unit"
    dimension = DIMENSION

    def __init__(self) -> None:
        self.real = load_embedder(Settings().embedding_model)
        self.bulk = False
        self.rng = np.random.default_rng(0)

    def encode(self, texts: list[str], *, batch_size: int = 32) -> np.ndarray:
        if not self.bulk:
            return self.real.encode(texts, batch_size=batch_size)
        vectors = self.rng.normal(size=(len(texts), DIMENSION)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _public_texts(limit: int) -> list[str]:
    texts: list[str] = []
    sources = [
        ("it_tickets/train.csv", "text"),
        ("doc2dial/corpus.csv", "text"),
        ("banking77/train.csv", "text"),
        ("clinc150/train.csv", "text"),
        ("hwu64/train.csv", "text"),
        ("stackfaq/corpus.csv", "text"),
    ]
    for name, column in sources:
        with (DATA / name).open(encoding="utf-8", newline="") as handle:
            texts.extend(" ".join(row[column].split()[:120]) for row in csv.DictReader(handle))
    rounds = 0
    while len(texts) < limit:  # reuse the public texts in new combinations until N chunks exist
        rounds += 1
        texts.extend(f"{a} {b}" for a, b in zip(texts[:limit], texts[rounds : limit + rounds], strict=False))
    return texts[:limit]


def run_scale(chunks: int) -> None:
    embedder = _SampledEmbedder()
    texts = _public_texts(chunks)
    sample = texts[:1000]
    start = time.perf_counter()
    embedder.real.encode(sample)
    per_second = len(sample) / (time.perf_counter() - start)
    documents = [KbDocument(f"doc-{i}", 1, f"Article {i}", text) for i, text in enumerate(texts)]
    index = KbIndex(embedder)  # type: ignore[arg-type]
    embedder.bulk = True
    start = time.perf_counter()
    index.add_documents(documents, batch_size=20_000)
    build = time.perf_counter() - start
    embedder.bulk = False
    retriever = HybridRetriever(index)
    queries = [RetrievalQuery.from_dialogue(t[:200]) for t in texts[5:20_000:100]]
    hybrid, dense_only, lexical_only = [], [], []
    for query in queries:
        start = time.perf_counter()
        retriever.search(query, k=10)
        hybrid.append((time.perf_counter() - start) * 1000)
        vector = embedder.encode([query.text])[0]
        start = time.perf_counter()
        index.vectors.search(vector, 10)
        dense_only.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        index.lexical.search(term_weights([(query.text, 1.0)]), 10)
        lexical_only.append((time.perf_counter() - start) * 1000)
    updated = KbDocument("doc-42", 2, "Article 42", "\n\n".join(texts[42:52]))
    start = time.perf_counter()
    index.add_documents([updated])
    retriever.search(queries[0], k=10)
    update = time.perf_counter() - start
    print(f"chunks indexed          {len(index.chunks)}")
    print(f"index build (no embed)  {build:.1f} s")
    print(f"embedding, measured     {per_second:.0f} chunks/s -> {chunks / per_second:.0f} s for all (extrapolated)")
    print(f"{'query':<24}{'p50 ms':>8}{'p95 ms':>8}")
    for label, times in [
        ("hybrid (ours, full)", hybrid),
        ("exact vectors only", dense_only),
        ("BM25 only", lexical_only),
    ]:
        print(f"{label:<24}{percentile(times, 50):>8.1f}{percentile(times, 95):>8.1f}")
    print(f"update one article      {update * 1000:.0f} ms (re-embed, replace, first query after)")


def _turn_matrices(index: KbIndex, queries: list[RetrievalQuery], turns: int) -> tuple[np.ndarray, ...]:
    """Per turn age: BM25 and cosine of every query turn against every chunk; speaker of each turn."""
    n, m = len(queries), len(index.vectors.row_ids())
    lexical = np.zeros((turns, n, m), dtype=np.float32)
    dense = np.zeros((turns, n, m), dtype=np.float32)
    agent = np.full((turns, n), -1)
    for i, query in enumerate(queries):
        parts = query.weighted_turns(decay=1.0, agent_weight=1.0, max_turns=turns)
        vectors = index.embedder.encode([text for text, _ in parts])
        for age, ((text, _), vector) in enumerate(zip(parts, vectors, strict=True)):
            _, cosine, bm25 = index.score_all(term_weights([(text, 1.0)]), vector)
            dense[age, i] = cosine
            lexical[age, i] = bm25 if bm25 is not None else 0.0
            agent[age, i] = int(age > 0 and query.context[age - 1].speaker == "agent")
        if (i + 1) % 300 == 0:
            print(f"{i + 1}/{n} queries scored", file=sys.stderr)
    return lexical, dense, agent


def _weights(agent: np.ndarray, decay: float, agent_weight: float) -> np.ndarray:
    ages = np.arange(agent.shape[0])[:, None]
    return np.where(agent < 0, 0.0, decay**ages * np.where(agent == 1, agent_weight, 1.0))


def _z(x: np.ndarray) -> np.ndarray:
    return (x - x.mean(axis=1, keepdims=True)) / (x.std(axis=1, keepdims=True) + 1e-9)


def _scores(fused: np.ndarray, gold: np.ndarray, rows: np.ndarray) -> dict[str, float]:
    rank = (fused[rows] > fused[rows, gold[rows]][:, None]).sum(axis=1) + 1
    return {
        "mrr": float(np.mean(np.where(rank <= 10, 1 / rank, 0))),
        "p_at_1": float(np.mean(rank == 1)),
        "recall_at_5": float(np.mean(rank <= 5)),
    }


def run_cv(folds: int = 5) -> None:
    root = DATA / "doc2dial"
    with (root / "corpus.csv").open(encoding="utf-8", newline="") as handle:
        documents = [KbDocument(r["doc_id"], 1, r["title"], r["text"]) for r in csv.DictReader(handle)]
    with (root / "queries_dev.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    index = KbIndex(load_embedder(Settings().embedding_model))
    index.add_documents(documents)
    queries = [RetrievalQuery.from_dialogue(r["text"], r["context"]) for r in rows]
    lexical, dense, agent = _turn_matrices(index, queries, turns=6)
    row_of = {cid.split("@")[0]: i for i, cid in enumerate(index.vectors.row_ids()) if cid}
    gold = np.asarray([row_of[r["doc_id"]] for r in rows])
    grid = []
    for l_decay, d_decay, d_agent, weight in np.array(
        np.meshgrid([0.5, 0.6, 0.7], [0.5, 0.7], [0.5, 1.0], [0.5, 1.0, 1.3, 1.6])
    ).T.reshape(-1, 4):
        fused = _z(np.einsum("tn,tnm->nm", _weights(agent, l_decay, 0.5), lexical)) + weight * _z(
            np.einsum("tn,tnm->nm", _weights(agent, d_decay, d_agent), dense)
        )
        grid.append(((l_decay, d_decay, d_agent, weight), fused))
    dialogues = np.asarray([r["query_id"].rsplit("_", 1)[0] for r in rows])
    unique = np.unique(dialogues)
    np.random.default_rng(0).shuffle(unique)
    held_out = []
    for fold in np.array_split(unique, folds):
        test = np.isin(dialogues, fold)
        params, fused = max(grid, key=lambda g: _scores(g[1], gold, np.flatnonzero(~test))["mrr"])
        held_out.append(_scores(fused, gold, np.flatnonzero(test)))
        print(f"fold: chosen (lexical decay, dense decay, dense agent weight, dense weight) = {params}")
    for key in held_out[0]:
        print(f"{key:<12} {np.mean([h[key] for h in held_out]):.3f} (cross-validated, {folds} folds over dialogues)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["scale", "cv"])
    parser.add_argument("--chunks", type=int, default=100_000)
    args = parser.parse_args()
    if args.mode == "scale":
        run_scale(args.chunks)
    else:
        run_cv()


if __name__ == "__main__":
    main()
