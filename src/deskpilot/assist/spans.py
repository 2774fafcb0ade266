"""Candidate answer spans of the top articles and the features a trained scorer ranks them by.

A span is a run of whole units of one chunk (`chunking.split_sentences`: a sentence, or one numbered
step or list item), so a step is never cut in half. Candidates are each single sentence, each pair of
consecutive sentences, and each whole run of steps together with the sentence that introduces it.
Features say how well a span matches the question (utterance, dialogue context, the agent's last turn),
where it sits, and how the retriever rated its article; the scorer (`span_scorer`) weighs them.
"""

from __future__ import annotations

import math
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from deskpilot.assist.chunking import Chunk, split_sentences
from deskpilot.assist.dialogue import RetrievalQuery, Speaker
from deskpilot.assist.grounded import STEP
from deskpilot.assist.retrieval import ArticleHit, SearchResult
from deskpilot.ml.embeddings import Embedder
from deskpilot.ml.lexical_index import tokenize

HOW_TO = re.compile(r"\b(how (do|can|should|would|to)|steps?|procedure|what do i (need to )?do)\b", re.I)
FEATURES = (
    "cos_utterance", "cos_context", "cos_agent", "after_agent", "overlap_utterance", "overlap_context",
    "overlap_agent", "overlap_title", "first_unit", "position", "first_chunk", "chunk_gap", "article_rank1",
    "article_rank2", "article_gap", "confidence", "log_words", "units", "steps", "steps_how_to",
)


@dataclass(frozen=True)
class CandidateSpan:
    """Units `start..end` (inclusive) of a chunk of the `rank`-th article of the search result."""

    chunk: Chunk
    units: tuple[str, ...]
    start: int
    end: int
    rank: int

    @property
    def texts(self) -> tuple[str, ...]:
        return self.units[self.start : self.end + 1]

    @property
    def text(self) -> str:
        return " ".join(self.texts)


class UnitVectors:
    """Embeds sentence units, remembering the most recent ones (articles are asked about again and again).
    Safe to share between threads."""

    def __init__(self, embedder: Embedder, *, capacity: int = 20_000) -> None:
        self.embedder = embedder
        self.capacity = capacity
        self._cache: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

    def vectors(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        fresh = dict(zip(missing, self.embedder.encode(missing), strict=True)) if missing else {}
        with self._lock:
            for text, vector in fresh.items():
                self._cache[text] = np.asarray(vector, dtype=np.float32)
            found = {t: self._cache[t] for t in texts}
            for text in texts:
                self._cache.move_to_end(text)
            while len(self._cache) > self.capacity:
                self._cache.popitem(last=False)
        if not texts:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32)
        return np.vstack([found[t] for t in texts])


_WARM_BATCH = 256  # units embedded per call while warming: the lock is held only around the cache, not the model
_shared: weakref.WeakKeyDictionary[Embedder, UnitVectors] = weakref.WeakKeyDictionary()
_shared_lock = threading.Lock()


def shared_unit_vectors(embedder: Embedder) -> UnitVectors:
    """The process's one `UnitVectors` for `embedder`, kept from question to question: the answered articles'
    sentences are the same each time, and embedding them again for every answer was most of a chat's first
    question's CPU (65% of it, profiled over 16 first questions)."""
    with _shared_lock:
        units = _shared.get(embedder)
        if units is None:
            units = _shared[embedder] = UnitVectors(embedder)
        return units


class RememberingEmbedder:
    """The embedder seen through `UnitVectors`: whatever it is passed to embeds no text a second time (one
    training run embeds each ticket for the category model, the priority model, the cold-start comparison and
    the similar-tickets index)."""

    def __init__(self, units: UnitVectors) -> None:
        self.units = units
        self.model_id = units.embedder.model_id
        self.dimension = units.embedder.dimension

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> npt.NDArray[np.float32]:
        del batch_size
        return self.units.vectors(texts)


def warm_unit_vectors(units: UnitVectors, chunks: Iterable[Chunk]) -> int:
    """Embed the sentence units of `chunks` into `units` now (at most its capacity), as answering them would:
    a process's first answers from each article otherwise embed its units in the requester's turn. Returns how
    many units are ready."""
    texts = list(dict.fromkeys(unit for chunk in chunks for unit in split_sentences(chunk.text)))[:units.capacity]
    for start in range(0, len(texts), _WARM_BATCH):
        units.vectors(texts[start:start + _WARM_BATCH])
    return len(texts)


def candidate_spans(result: SearchResult, *, articles: int = 3) -> list[CandidateSpan]:
    """Single sentences, consecutive pairs and whole step runs of the best chunks of the top articles."""
    spans: list[CandidateSpan] = []
    for rank, hit in enumerate(result.hits[:articles]):
        for scored in hit.chunks:
            units = tuple(split_sentences(scored.chunk.text))
            spans.extend(_spans_of_chunk(scored.chunk, units, rank))
    return spans


def _spans_of_chunk(chunk: Chunk, units: tuple[str, ...], rank: int) -> list[CandidateSpan]:
    spans: list[CandidateSpan] = []
    for i, unit in enumerate(units):
        spans.append(CandidateSpan(chunk, units, i, i, rank))
        step = STEP.match(unit) is not None
        if not step and i + 1 < len(units) and not STEP.match(units[i + 1]):
            spans.append(CandidateSpan(chunk, units, i, i + 1, rank))
        run_starts = step and (i == 0 or not STEP.match(units[i - 1]))
        if run_starts:
            end = i
            while end + 1 < len(units) and STEP.match(units[end + 1]):
                end += 1
            start = i - 1 if i > 0 and units[i - 1].rstrip().endswith(":") else i
            if end > start:
                spans.append(CandidateSpan(chunk, units, start, end, rank))
    return spans


@dataclass(frozen=True)
class _QuerySide:
    utterance: set[str]
    context: set[str]
    agent: set[str]
    how_to: bool


def _query_side(query: RetrievalQuery) -> _QuerySide:
    last_user = next((t.text for t in query.context if t.speaker is Speaker.USER), "")
    last_agent = next((t.text for t in query.context if t.speaker is Speaker.AGENT), "")
    return _QuerySide(set(tokenize(query.text)), set(tokenize(last_user)), set(tokenize(last_agent)),
                      HOW_TO.search(query.text) is not None)


def _share(wanted: set[str], found: set[str]) -> float:
    return len(wanted & found) / len(wanted) if wanted else 0.0


def span_features(query: RetrievalQuery, result: SearchResult, spans: Sequence[CandidateSpan],
                  unit_vectors: UnitVectors) -> npt.NDArray[np.float64]:
    """One row of `FEATURES` per span (see the module docstring)."""
    if not spans:
        return np.zeros((0, len(FEATURES)))
    side = _query_side(query)
    chunk_units = {id(s.chunk): s.units for s in spans}
    all_units = list(dict.fromkeys(u for units in chunk_units.values() for u in units))
    row_of = {u: r for r, u in enumerate(all_units)}
    vectors = unit_vectors.vectors(all_units)
    utterance = np.asarray(result.query_vector, dtype=np.float32)
    context = result.context_vector if result.context_vector is not None else utterance
    agent = result.agent_vector
    unit_agent = np.asarray(vectors @ agent if agent is not None else np.zeros(len(all_units)), dtype=np.float64)
    tokens = {u: set(tokenize(u)) for u in all_units}
    hits = result.hits
    chunk_best = {c.chunk.chunk_id: c.score for h in hits for c in h.chunks}
    rows = [_row(span, side, vectors, row_of, utterance, context, unit_agent, tokens, hits, chunk_best,
                 result.confidence, has_agent=agent is not None) for span in spans]
    return np.asarray(rows, dtype=np.float64)


def _row(span: CandidateSpan, side: _QuerySide, vectors: npt.NDArray[np.float32], row_of: dict[str, int],
         utterance: npt.NDArray[np.float32], context: npt.NDArray[np.float32], unit_agent: npt.NDArray[np.float64],
         tokens: dict[str, set[str]], hits: list[ArticleHit], chunk_score: dict[str, float], confidence: float,
         *, has_agent: bool) -> list[float]:
    rows = [row_of[t] for t in span.texts]
    mean = vectors[rows].mean(axis=0)
    vector = mean / (float(np.linalg.norm(mean)) or 1.0)
    words = set().union(*(tokens[t] for t in span.texts))
    hit = hits[span.rank]
    title = set(tokenize(" ".join((hit.document.title, *span.chunk.heading_path))))
    before = float(unit_agent[row_of[span.units[span.start - 1]]]) if span.start > 0 and has_agent else 0.0
    steps = sum(1 for t in span.texts if STEP.match(t)) > 1
    return [
        float(vector @ utterance), float(vector @ context),
        float(max(unit_agent[r] for r in rows)) if has_agent else 0.0, before,
        _share(side.utterance, words), _share(side.context, words), _share(side.agent, words),
        _share(side.utterance, title),
        float(span.start == 0), span.start / max(1, len(span.units) - 1), float(span.chunk.position == 0),
        hit.chunks[0].score - chunk_score.get(span.chunk.chunk_id, hit.chunks[0].score),
        float(span.rank == 1), float(span.rank == 2), max(h.text_score for h in hits) - hit.text_score, confidence,
        math.log1p(len(span.text.split())), float(span.end - span.start + 1), float(steps),
        float(steps and side.how_to),
    ]


def whole_procedure(span: CandidateSpan) -> CandidateSpan:
    """The span widened to the whole run of steps it touches, with the sentence that introduces the run."""
    units, start, end = span.units, span.start, span.end
    while start > 0 and STEP.match(units[start - 1]):
        start -= 1
    while end + 1 < len(units) and STEP.match(units[end + 1]):
        end += 1
    if start > 0 and units[start - 1].rstrip().endswith(":"):
        start -= 1
    return CandidateSpan(span.chunk, units, start, end, span.rank)
