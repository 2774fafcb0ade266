"""KB retrieval benchmarks: 100k-chunk scale, and cross-validated fusion weights on doc2dial.

    .venv/bin/python benchmarks/retrieval_bench.py scale [--chunks 100000]
    .venv/bin/python benchmarks/retrieval_bench.py cv
    .venv/bin/python benchmarks/retrieval_bench.py titles --dataset stackfaq|doc2dial [--index-dir D] [--half 0]
    .venv/bin/python benchmarks/retrieval_bench.py context [--index-dir D] [--half 0] [--save F.npz | --load F.npz]

`scale` builds a KB index of N chunks made of public texts (../shared/datasets), measures the full
build, the p50/p95 of complete hybrid queries (query embedding included) and the update of one
article, beside exact-vector-only and BM25-only search. Chunk vectors are embedded for real for
a sample and the embedding time of all N is extrapolated from its throughput (stated as such);
the remaining vectors are random unit vectors, which cost exactly the same to search.

`cv` chooses turn weights and the fusion weight by 5-fold cross-validation over doc2dial dialogues
and prints the held-out figures (the defaults in deskpilot.assist.retrieval come from this run).

`titles` asks whether the article-title similarity (`RetrievalParams.title_weight`) pays: every query is
searched once by the product retriever (title weight 0, 50 articles deep), the z-normalised title
cosine of each candidate is added with weights 0–3, and the weight is chosen on 4 of 5 folds (over
dialogues for doc2dial, over queries for StackFAQ) and scored on the 5th. It also prints the corpus's
title agreement: the share of (at most 200) articles whose title is closest to one of their own chunks.
`--half 0|1` keeps the dialogues whose crc32 is even / odd (doc2dial's dev half), `--index-dir` saves or
reuses the corpus index.

`context` asks whether more of the dialogue can lift article P@1 on doc2dial beyond the hybrid search:
every turn is searched once by the product retriever (30 articles deep), and so is the user's previous
turn (with its own earlier context, as the chat searched it then). Each candidate article gets features:
its hybrid score; the **document mass** of the other candidates that share its title (softmax of the
hybrid scores; doc2dial's passages of one document share its title, a dialogue stays in one document);
the raw cosine of its best chunk to the utterance alone and to the agent's last turn with the chunk's
BM25 / dense parts; whether it or its title was first for the previous turn. Linear rerankers over feature
sets are fitted on pairs (right article minus each of the other top 10) on 4 of 5 folds over dialogues
and scored on the 5th, printed beside the hybrid order of the same search. `--save` keeps the candidate
features (the search is the slow part), `--load` re-scores them.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
import zlib
from pathlib import Path

import numpy as np

from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.assist.retrieval import HybridRetriever, RetrievalParams, RetrievalQuery
from deskpilot.config import Settings
from deskpilot.evaluation.retrieval import percentile, read_corpus, read_queries
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


TITLE_WEIGHTS = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0)


def title_agreement(index: KbIndex, sample: int = 200) -> float:
    """Share of a fixed sample of articles whose title vector is closest to one of their own chunks."""
    slugs = sorted(index.documents, key=lambda s: zlib.crc32(s.encode()))[:sample]
    owners = [index.chunks[c].slug if c else None for c in index.vectors.row_ids()]
    own = sum(owners[int(np.argmax(index.vectors.score_all(index.titles.vector(s))))] == s for s in slugs)
    return own / len(slugs) if slugs else 0.0


def _title_candidates(dataset: str, index_dir: str | None, half: int | None
                      ) -> tuple[list[list[tuple[str, float, float]]], list[str], list[str]]:
    """Per query: (slug, hybrid score, title z-score) of its 50 best articles; the gold slug; the group."""
    root = DATA / dataset
    documents = read_corpus(root / "corpus.csv")
    queries = read_queries(root / ("queries_dev.csv" if dataset == "doc2dial" else "queries_train.csv"),
                           {d.slug for d in documents})
    group = [q.query_id.rsplit("_", 1)[0] if dataset == "doc2dial" else q.query_id for q in queries]
    keep = [half is None or zlib.crc32(g.encode()) % 2 == half for g in group]
    queries = [q for q, k in zip(queries, keep, strict=True) if k]
    group = [g for g, k in zip(group, keep, strict=True) if k]
    directory = Path(index_dir) if index_dir else None
    if directory is not None and directory.exists():
        index = KbIndex.load(directory, load_embedder(Settings().embedding_model))
    else:
        index = KbIndex(load_embedder(Settings().embedding_model))
        index.add_documents(documents)
        if directory is not None:
            index.save(directory)
    print(f"title agreement {title_agreement(index):.3f}; distinct titles "
          f"{len({d.title for d in documents}) / len(documents):.3f}", flush=True)
    retriever = HybridRetriever(index, RetrievalParams(title_weight=0.0))
    candidates = []
    for number, item in enumerate(queries, start=1):
        result = retriever.search(item.query, k=50)
        vector = result.context_vector
        titles = index.title_scores(vector) if vector is not None else {}
        candidates.append([(h.slug, h.score, titles.get(h.slug, 0.0)) for h in result.hits])
        if number % 200 == 0:
            print(f"{number}/{len(queries)} queries searched", file=sys.stderr, flush=True)
    return candidates, [q.doc_id for q in queries], group


def _title_scores(candidates: list[list[tuple[str, float, float]]], gold: list[str], weight: float,
                  rows: np.ndarray) -> dict[str, float]:
    ranks = []
    for row in rows:
        order = sorted(candidates[row], key=lambda c: -(c[1] + weight * c[2]))
        slugs = [c[0] for c in order]
        ranks.append(slugs.index(gold[row]) + 1 if gold[row] in slugs else 10_000)
    rank = np.asarray(ranks)
    return {"mrr": float(np.mean(np.where(rank <= 10, 1 / rank, 0))), "p_at_1": float(np.mean(rank == 1)),
            "recall_at_5": float(np.mean(rank <= 5))}


def run_titles(dataset: str, index_dir: str | None, half: int | None, folds: int = 5) -> None:
    candidates, gold, group = _title_candidates(dataset, index_dir, half)
    groups = np.asarray(group)
    unique = np.unique(groups)
    np.random.default_rng(0).shuffle(unique)
    everything = np.arange(len(gold))
    print(f"{dataset}: {len(gold)} queries" + (f" (half {half})" if half is not None else ""))
    for weight in TITLE_WEIGHTS:
        scores = _title_scores(candidates, gold, weight, everything)
        print(f"title weight {weight:<5} (in-sample) " + "  ".join(f"{k} {v:.3f}" for k, v in scores.items()))
    held_out = []
    for fold in np.array_split(unique, folds):
        test = np.isin(groups, fold)
        weight = max(TITLE_WEIGHTS, key=lambda w: _title_scores(candidates, gold, w, np.flatnonzero(~test))["mrr"])
        held_out.append(_title_scores(candidates, gold, weight, np.flatnonzero(test)))
        print(f"fold: chosen title weight {weight}")
    baseline = _title_scores(candidates, gold, 0.0, everything)
    for key in held_out[0]:
        print(f"{key:<12} {np.mean([h[key] for h in held_out]):.3f} cross-validated "
              f"(title weight 0: {baseline[key]:.3f}; {folds} folds)")


CONTEXT_FEATURES = ("hybrid", "document_mass", "lexical", "dense", "cos_utterance", "cos_agent",
                    "previous_title", "previous_first")
CONTEXT_SETS = {
    "hybrid + document mass": ("hybrid", "document_mass"),
    "hybrid + previous turn": ("hybrid", "previous_title", "previous_first"),
    "hybrid + utterance/agent cosines": ("hybrid", "lexical", "dense", "cos_utterance", "cos_agent"),
    "document mass + cosines": ("hybrid", "document_mass", "lexical", "dense", "cos_utterance", "cos_agent"),
    "all": CONTEXT_FEATURES,
}


def _context_candidates(index_dir: str | None, half: int | None, depth: int = 30
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Candidate rows (features), whether each is the labelled passage, its query number, each query's dialogue."""
    root = DATA / "doc2dial"
    documents = read_corpus(root / "corpus.csv")
    queries = [q for q in read_queries(root / "queries_dev.csv", {d.slug for d in documents})
               if half is None or zlib.crc32(q.query_id.rsplit("_", 1)[0].encode()) % 2 == half]
    directory = Path(index_dir) if index_dir else None
    if directory is not None and directory.exists():
        index = KbIndex.load(directory, load_embedder(Settings().embedding_model))
    else:
        index = KbIndex(load_embedder(Settings().embedding_model))
        index.add_documents(documents)
        if directory is not None:
            index.save(directory)
    retriever = HybridRetriever(index)
    rows: list[list[float]] = []
    labels: list[bool] = []
    owner: list[int] = []
    for number, item in enumerate(queries):
        result = retriever.search(item.query, k=depth)
        previous = _previous_turn(item.query)
        before = retriever.search(previous, k=1).hits if previous is not None else []
        scores = np.asarray([h.score for h in result.hits])
        share = np.exp(scores - scores.max())
        share /= share.sum()
        mass: dict[str, float] = {}
        for hit, part in zip(result.hits, share, strict=True):
            mass[hit.document.title] = mass.get(hit.document.title, 0.0) + float(part)
        utterance = result.query_vector.reshape(-1) / (float(np.linalg.norm(result.query_vector)) or 1.0)
        for hit, part in zip(result.hits, share, strict=True):
            best = hit.chunks[0]
            vector = index.vectors.vector(best.chunk.chunk_id).reshape(-1)
            agent = float(vector @ result.agent_vector.reshape(-1)) if result.agent_vector is not None else 0.0
            rows.append([hit.score, mass[hit.document.title] - float(part), best.lexical, best.dense,
                         float(vector @ utterance), agent,
                         float(bool(before) and before[0].document.title == hit.document.title),
                         float(bool(before) and before[0].slug == hit.slug)])
            labels.append(hit.slug == item.doc_id)
            owner.append(number)
        if (number + 1) % 200 == 0:
            print(f"{number + 1}/{len(queries)} turns searched", file=sys.stderr, flush=True)
    groups = np.asarray([q.query_id.rsplit("_", 1)[0] for q in queries])
    return np.asarray(rows), np.asarray(labels), np.asarray(owner), groups


def _previous_turn(query: RetrievalQuery) -> RetrievalQuery | None:
    """The user's previous turn with the context it had then, or None on a first user turn."""
    earlier = [i for i, turn in enumerate(query.context) if turn.speaker == "user"]
    if not earlier:
        return None
    return RetrievalQuery(query.context[earlier[0]].text, query.context[earlier[0] + 1:])


def _ranked(scores: np.ndarray, labels: np.ndarray, starts: np.ndarray, queries: np.ndarray) -> dict[str, float]:
    """P@1 and MRR@10 over `queries` (a query whose passage is not among its candidates counts 0)."""
    p_at_1 = mrr = 0.0
    for i in queries:
        s, right = scores[starts[i]:starts[i + 1]], labels[starts[i]:starts[i + 1]]
        if right.any():
            rank = int((s > s[right][0]).sum()) + 1
            p_at_1 += rank == 1
            mrr += 1 / rank if rank <= 10 else 0.0
    return {"p_at_1": p_at_1 / len(queries), "mrr": mrr / len(queries)}


def _pair_weights(features: np.ndarray, labels: np.ndarray, starts: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Linear weights from pairs (the labelled article minus each other article of the top 10)."""
    from sklearn.linear_model import LogisticRegression

    pairs = []
    for i in queries:
        a, b = starts[i], starts[i + 1]
        right = np.flatnonzero(labels[a:b])
        if right.size:
            pairs.extend(features[a + right[0]] - features[j] for j in range(a, min(b, a + 10)) if j != a + right[0])
    diffs = np.asarray(pairs)
    model = LogisticRegression(max_iter=3000, fit_intercept=False).fit(
        np.vstack([diffs, -diffs]), np.r_[np.ones(len(diffs)), np.zeros(len(diffs))])
    return np.asarray(model.coef_[0])


def run_context(index_dir: str | None, half: int | None, save: str | None, load: str | None, folds: int = 5) -> None:
    if load:
        data = np.load(load)
        rows, labels, owner, groups = data["rows"], data["labels"], data["owner"], data["groups"]
    else:
        rows, labels, owner, groups = _context_candidates(index_dir, half)
        if save:
            np.savez_compressed(save, rows=rows, labels=labels, owner=owner, groups=groups)
    starts = np.searchsorted(owner, np.arange(len(groups) + 1))
    everything = np.arange(len(groups))
    unique = np.unique(groups)
    np.random.default_rng(0).shuffle(unique)
    split = [np.isin(groups, fold) for fold in np.array_split(unique, folds)]
    hybrid = _ranked(rows[:, 0], labels, starts, everything)
    print(f"doc2dial dev: {len(groups)} turns, right passage among the {int(np.diff(starts).max())} candidates: "
          f"{np.mean([labels[starts[i]:starts[i + 1]].any() for i in everything]):.3f}")
    print(f"{'hybrid order (product, same search)':<40} P@1 {hybrid['p_at_1']:.3f}  MRR@10 {hybrid['mrr']:.3f}")
    for label, names in CONTEXT_SETS.items():
        columns = [CONTEXT_FEATURES.index(n) for n in names]
        features = rows[:, columns]
        held_out = []
        for test in split:
            train = np.flatnonzero(~test[owner])
            mean, scale = features[train].mean(axis=0), features[train].std(axis=0) + 1e-9
            weights = _pair_weights((features - mean) / scale, labels, starts, np.flatnonzero(~test))
            held_out.append((_ranked(((features - mean) / scale) @ weights, labels, starts, np.flatnonzero(test)),
                             int(test.sum())))
        sizes = [n for _, n in held_out]
        scores = {k: float(np.average([h[k] for h, _ in held_out], weights=sizes)) for k in ("p_at_1", "mrr")}
        print(f"{label:<40} P@1 {scores['p_at_1']:.3f}  MRR@10 {scores['mrr']:.3f}  (cross-validated, {folds} folds)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["scale", "cv", "titles", "context"])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--dataset", choices=["stackfaq", "doc2dial"], default="stackfaq")
    parser.add_argument("--index-dir", help="titles, context: save the corpus index here once and reuse it")
    parser.add_argument("--half", type=int, choices=[0, 1], help="titles, context: only the dialogues of this half")
    parser.add_argument("--save", help="context: keep the candidate features in this .npz")
    parser.add_argument("--load", help="context: re-score candidate features saved by --save")
    args = parser.parse_args()
    if args.mode == "scale":
        run_scale(args.chunks)
    elif args.mode == "context":
        run_context(args.index_dir, args.half, args.save, args.load)
    elif args.mode == "titles":
        run_titles(args.dataset, args.index_dir, args.half)
    else:
        run_cv()


if __name__ == "__main__":
    main()
