"""Training rows for the span scorer: every candidate span of every labelled dialogue turn, with its F1.

Each query is searched once (top 3 articles, the product retriever); each candidate span gets its
feature row (`assist.spans.span_features`) and its token F1 against the reference grounding span.
`group` is the dialogue a turn belongs to, so cross-validation never splits a dialogue.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from deskpilot.assist.grounded import render
from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.assist.retrieval import HybridRetriever
from deskpilot.assist.spans import RememberingEmbedder, UnitVectors, candidate_spans, span_features
from deskpilot.errors import InvalidInput
from deskpilot.evaluation.answer_baseline import baseline_evidence
from deskpilot.evaluation.answers import read_answers, token_f1
from deskpilot.evaluation.retrieval import Progress, read_corpus, read_queries, silent
from deskpilot.ml.embeddings import Embedder


@dataclass(frozen=True)
class SpanData:
    """Rows of all candidate spans; `query` numbers the turn each row belongs to.

    `relevant`: the span's article is the turn's labelled one; `rank`: that article's retrieval rank
    (0-based). `confidence` and `baseline_f1` are per turn: the retrieval confidence and the F1 of today's
    composer (`answer_baseline`) on the same search result.
    """

    features: npt.NDArray[np.float64]
    f1: npt.NDArray[np.float64]
    query: npt.NDArray[np.int64]
    groups: list[str]
    confidence: npt.NDArray[np.float64]
    relevant: npt.NDArray[np.bool_]
    rank: npt.NDArray[np.int64]
    baseline_f1: npt.NDArray[np.float64]

    def save(self, path: Path) -> None:
        np.savez_compressed(path, features=self.features, f1=self.f1, query=self.query,
                            groups=np.asarray(self.groups), confidence=self.confidence,
                            relevant=self.relevant, rank=self.rank, baseline_f1=self.baseline_f1)

    @classmethod
    def load(cls, path: Path) -> SpanData:
        data = np.load(path)
        return cls(data["features"], data["f1"], data["query"], [str(g) for g in data["groups"]],
                   data["confidence"], data["relevant"], data["rank"], data["baseline_f1"])

    @classmethod
    def concatenate(cls, parts: list[SpanData]) -> SpanData:
        """Shards collected apart (turns renumbered after each other)."""
        offsets = np.cumsum([0] + [len(p.groups) for p in parts[:-1]])
        return cls(np.vstack([p.features for p in parts]), np.concatenate([p.f1 for p in parts]),
                   np.concatenate([p.query + o for p, o in zip(parts, offsets, strict=True)]),
                   [g for p in parts for g in p.groups], np.concatenate([p.confidence for p in parts]),
                   np.concatenate([p.relevant for p in parts]), np.concatenate([p.rank for p in parts]),
                   np.concatenate([p.baseline_f1 for p in parts]))


def dialogue_of(query_id: str) -> str:
    """doc2dial query ids are `<dialogue>_<turn>`; other ids are their own group."""
    return query_id.rsplit("_", 1)[0]


def collect_span_data(corpus: Path, queries: Path, answers: Path, *, embedder: Embedder,
                      index_dir: Path | None = None, shard: tuple[int, int] = (0, 1), max_words: int = 180,
                      progress: Progress = silent) -> SpanData:
    """Search every labelled query once and score all its candidate spans against the reference.

    `index_dir`: where the corpus index is saved, or loaded when already there; `shard` (i, n): only the
    dialogues whose hash falls in part i of n, so parts can be collected in parallel; `max_words`: the chunk size
    of a new index (`KbIndex`), the one the scorer is fitted for.
    """
    documents = read_corpus(corpus)
    references = read_answers(answers)
    labelled = [q for q in read_queries(queries, {d.slug for d in documents}) if q.query_id in references
                and zlib.crc32(dialogue_of(q.query_id).encode()) % shard[1] == shard[0]]
    if not labelled:
        raise InvalidInput(f"{answers}: no query_id matches a query in {queries}")
    index = _index(documents, embedder, index_dir, max_words, progress)
    retriever = HybridRetriever(index)
    units = UnitVectors(index.embedder)
    cached = RememberingEmbedder(units)
    baseline: list[float] = []
    features: list[npt.NDArray[np.float64]] = []
    f1: list[float] = []
    owner: list[int] = []
    groups: list[str] = []
    confidence: list[float] = []
    relevant: list[bool] = []
    rank: list[int] = []
    for number, item in enumerate(labelled):
        result = retriever.search(item.query, k=3)
        spans = candidate_spans(result)
        if spans:
            features.append(span_features(item.query, result, spans, units))
            f1.extend(token_f1(s.text, references[item.query_id]) for s in spans)
            owner.extend([number] * len(spans))
            relevant.extend(result.hits[s.rank].slug == item.doc_id for s in spans)
            rank.extend(s.rank for s in spans)
        sentences = baseline_evidence(item.query, result, cached) if result.hits else ()
        baseline.append(token_f1(render(sentences), references[item.query_id]) if sentences else 0.0)
        groups.append(dialogue_of(item.query_id))
        confidence.append(result.confidence)
        if (number + 1) % 50 == 0:
            progress(f"spans: {number + 1}/{len(labelled)} turns")
    return SpanData(np.vstack(features), np.asarray(f1), np.asarray(owner, dtype=np.int64), groups,
                    np.asarray(confidence), np.asarray(relevant, dtype=np.bool_), np.asarray(rank, dtype=np.int64),
                    np.asarray(baseline))


def _index(documents: list[KbDocument], embedder: Embedder, directory: Path | None, max_words: int,
           progress: Progress) -> KbIndex:
    if directory is not None and directory.exists():
        return KbIndex.load(directory, embedder)
    progress(f"indexing {len(documents)} documents")
    index = KbIndex(embedder, max_words=max_words)
    index.add_documents(documents)
    if directory is not None:
        index.save(directory)
    return index
