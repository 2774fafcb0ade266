"""`deskpilot eval retrieve`: rank KB articles for every query; ours beside plain BM25, same run.

`reranked` orders the hybrid top three by the span scorer's best span in each (`AnswerComposer.reranked`):
the order in which the answer picks its article; its latency includes the hybrid search.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from deskpilot.assist.compose import AnswerComposer
from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.assist.retrieval import HybridRetriever, PastQuestion, RetrievalQuery
from deskpilot.assist.spans import UnitVectors
from deskpilot.errors import InvalidInput
from deskpilot.evaluation.datasets import read_csv_rows
from deskpilot.ml.embeddings import Embedder
from deskpilot.ml.lexical_index import Bm25Index, term_weights

Progress = Callable[[str], None]


def silent(_: str) -> None:
    """The default progress sink: say nothing."""


@dataclass(frozen=True)
class LabelledQuery:
    query_id: str
    query: RetrievalQuery
    doc_id: str


@dataclass(frozen=True)
class RankingScores:
    mrr: float
    p_at_1: float
    recall_at_5: float
    ndcg_at_10: float
    p50_ms: float
    p95_ms: float


def rank_of(ranking: Sequence[str], relevant: str) -> int | None:
    """1-based position of the relevant id in a ranking, None when absent."""
    try:
        return ranking.index(relevant) + 1
    except ValueError:
        return None


def ranking_scores(
    rankings: Sequence[Sequence[str]], relevant: Sequence[str], latencies_ms: Sequence[float]
) -> RankingScores:
    """MRR@10, P@1, recall@5, nDCG@10 (one relevant article per query) and latency percentiles."""
    if not rankings or len(rankings) != len(relevant):
        raise InvalidInput("need one ranking per query")
    ranks = [rank_of(list(r), g) for r, g in zip(rankings, relevant, strict=True)]
    n = len(ranks)
    return RankingScores(
        mrr=sum(1 / r for r in ranks if r and r <= 10) / n,
        p_at_1=sum(1 for r in ranks if r == 1) / n,
        recall_at_5=sum(1 for r in ranks if r and r <= 5) / n,
        ndcg_at_10=sum(1 / math.log2(r + 1) for r in ranks if r and r <= 10) / n,
        p50_ms=percentile(latencies_ms, 50),
        p95_ms=percentile(latencies_ms, 95),
    )


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (nearest rank); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def read_corpus(path: Path) -> list[KbDocument]:
    """A corpus CSV `doc_id,title,text` as version-1 documents; duplicate ids are refused."""
    rows = read_csv_rows(path, ("doc_id", "title", "text"))
    seen: set[str] = set()
    documents = []
    for number, row in enumerate(rows, start=2):
        doc_id = row["doc_id"].strip()
        if not doc_id or doc_id in seen:
            raise InvalidInput(f"{path}: line {number}: empty or repeated doc_id {doc_id!r}")
        seen.add(doc_id)
        documents.append(KbDocument(slug=doc_id, version=1, title=row["title"], text=row["text"]))
    return documents


def read_queries(path: Path, known_ids: set[str] | None = None) -> list[LabelledQuery]:
    """A queries CSV `query_id,text,doc_id[,context]`; every doc_id must be in the corpus."""
    rows = read_csv_rows(path, ("query_id", "text", "doc_id"))
    queries = []
    for number, row in enumerate(rows, start=2):
        doc_id = row["doc_id"].strip()
        if known_ids is not None and doc_id not in known_ids:
            raise InvalidInput(f"{path}: line {number}: doc_id {doc_id!r} is not in the corpus")
        if not row["text"].strip():
            raise InvalidInput(f"{path}: line {number}: empty query text")
        query = RetrievalQuery.from_dialogue(row["text"], row.get("context", ""))
        queries.append(LabelledQuery(row["query_id"], query, doc_id))
    return queries


def _timed_rankings(
    queries: Sequence[LabelledQuery],
    rank: Callable[[RetrievalQuery], list[str]],
    label: str,
    progress: Progress,
) -> RankingScores:
    rankings, latencies = [], []
    for number, labelled in enumerate(queries, start=1):
        start = time.perf_counter()
        rankings.append(rank(labelled.query))
        latencies.append((time.perf_counter() - start) * 1000)
        if number % 500 == 0:
            progress(f"{label}: {number}/{len(queries)} queries")
    return ranking_scores(rankings, [q.doc_id for q in queries], latencies)


def plain_bm25_ranker(documents: Sequence[KbDocument]) -> Callable[[RetrievalQuery], list[str]]:
    """The baseline: BM25 over title + text, the query being the utterance and its context, unweighted."""
    index = Bm25Index()
    index.add([d.slug for d in documents], [f"{d.title}\n{d.text}" for d in documents])

    def rank(query: RetrievalQuery) -> list[str]:
        text = " ".join([query.text, *(turn.text for turn in query.context)])
        return [doc for doc, _ in index.search(term_weights([(text, 1.0)]), 10)]

    return rank


def evaluate_retrieval(
    corpus: Path,
    queries: Path,
    history: Path | None = None,
    *,
    embedder: Embedder,
    progress: Progress = silent,
) -> dict[str, object]:
    """Index the corpus, answer every query with ours and with plain BM25; both scored the same way."""
    documents = read_corpus(corpus)
    labelled = read_queries(queries, {d.slug for d in documents})
    past = read_queries(history, {d.slug for d in documents}) if history else []
    progress(f"indexing {len(documents)} documents")
    index = KbIndex(embedder)
    index.add_documents(documents)
    retriever = HybridRetriever(index)
    if past:
        retriever.learn_history([PastQuestion(p.query, p.doc_id) for p in past])
    ours = _timed_rankings(labelled, lambda q: [h.slug for h in retriever.search(q, k=10).hits], "ours", progress)
    composer = AnswerComposer(retriever, abstain_below=0.0, unit_vectors=UnitVectors(index.embedder), rerank=True)
    reranked = _timed_rankings(labelled, lambda q: composer.reranked(q, retriever.search(q, k=10)), "reranked",
                               progress)
    baseline = _timed_rankings(labelled, plain_bm25_ranker(documents), "baseline", progress)
    return {**asdict(ours), "queries": len(labelled), "history": len(past), "baseline": asdict(baseline),
            "reranked": asdict(reranked)}


def format_table(result: dict[str, object]) -> str:
    """A plain-text table: ours (hybrid, and reranked by the span scorer) beside the baseline."""
    baseline = result["baseline"]
    reranked = result["reranked"]
    assert isinstance(baseline, dict) and isinstance(reranked, dict)
    lines = [f"{'metric':<12}{'ours':>10}{'reranked':>10}{'bm25':>10}"]
    for key, label in [
        ("mrr", "MRR@10"),
        ("p_at_1", "P@1"),
        ("recall_at_5", "recall@5"),
        ("ndcg_at_10", "nDCG@10"),
        ("p50_ms", "p50 ms"),
        ("p95_ms", "p95 ms"),
    ]:
        ours = float(result[key])  # type: ignore[arg-type]
        lines.append(f"{label:<12}{ours:>10.3f}{float(reranked[key]):>10.3f}{float(baseline[key]):>10.3f}")
    lines.append(f"{result['queries']} queries, {result['history']} history questions")
    return "\n".join(lines)
