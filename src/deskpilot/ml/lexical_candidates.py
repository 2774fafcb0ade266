"""The best BM25 rows of a query and the spread of its scores over all live rows, two ways.

`exhaustive_candidates` scores every posting of every query term. `pruned_candidates` gives the same rows and
scores (bit for bit: the same formula summed in the same term order) while scanning only the postings of the
terms that can still decide the top k (MaxScore): terms are taken from the highest score bound down, and once
the bounds of the terms left add up to less than the k-th best partial score, a row none of the scanned terms
reaches cannot enter the top k. The rows that can are completed by looking the other terms up in their
(row-sorted) postings. The spread is exact on the scanned terms' rows; the skipped terms' share (their scores
alone and with the scanned ones) is estimated on every `SAMPLE_STRIDE`-th row, scaled to the live rows: those
terms are common, so the sample holds many of their rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from deskpilot.ml.lexical_segment import Bm25Segment, term_scores

# float32 sums of scores may round above a float64 bound by an ulp; a bound a little higher stays a bound.
_BOUND_MARGIN = 1.0001


@dataclass(frozen=True)
class ScoreSpread:
    """Mean and standard deviation of a query's scores over all live rows."""

    mean: float
    std: float


@dataclass(frozen=True)
class QueryTerm:
    """A query term known to the index: its column, its idf times the query weight, its live document count."""

    col: int
    idf: float
    df: int


@dataclass(frozen=True)
class Bm25Rows:
    """What scoring reads of an index: its segments, which rows are live, and the BM25 parameters."""

    segments: Sequence[Bm25Segment]
    live: npt.NDArray[np.bool_]
    live_count: int
    k1: float
    b: float
    average_length: float
    dead_rows: Callable[[], npt.NDArray[np.int64]]

    def term_scores(self, term: QueryTerm, tf: npt.NDArray[np.float32],
                    lengths: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        return term_scores(term.idf, tf, lengths, k1=self.k1, b=self.b, average_length=self.average_length)

    def add_term(self, scores: npt.NDArray[np.float32], term: QueryTerm) -> npt.NDArray[np.int64]:
        """Add one term's score to every row of its postings; those rows."""
        found = []
        for seg in self.segments:
            rows, tf = seg.postings(term.col)
            found.append(seg.first_row + rows)
            scores[found[-1]] += self.term_scores(term, tf, seg.lengths[rows])
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)

    def scores_at(self, terms: Sequence[QueryTerm], rows: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """The full scores of some rows (ascending), summed in term order as `add_term` sums them."""
        out = np.zeros(len(rows), dtype=np.float32)
        spans = [(seg, *np.searchsorted(rows, [seg.first_row, seg.first_row + len(seg.lengths)]))
                 for seg in self.segments]
        for term in terms:
            for seg, lo, hi in spans:
                if lo == hi:
                    continue
                local = rows[lo:hi] - seg.first_row
                posting_rows, tf = seg.postings(term.col)
                at = np.minimum(np.searchsorted(posting_rows, local), max(len(posting_rows) - 1, 0))
                hit = posting_rows[at] == local if len(posting_rows) else np.zeros(len(local), dtype=bool)
                out[lo:hi][hit] += self.term_scores(term, tf[at[hit]], seg.lengths[local[hit]])
        return out

    def postings(self, term: QueryTerm) -> int:
        """How many postings the term has (removed rows included)."""
        return sum(int(s.tf.indptr[term.col + 1] - s.tf.indptr[term.col]) for s in self.segments
                   if term.col < s.tf.shape[1])

    def bound(self, term: QueryTerm) -> float:
        """The largest score the term can give any row."""
        per_segment = (s.bound(term.col, self.average_length)
                       for s in self.segments)
        return term.idf * max(per_segment, default=0.0) * _BOUND_MARGIN


@dataclass(frozen=True)
class RowCandidates:
    """The given rows and the `k` best others (best first), their scores, and the spread over all live rows."""

    others: npt.NDArray[np.int64]
    scores: npt.NDArray[np.float32]
    spread: ScoreSpread


def _spread(total: float, squares: float, count: int) -> ScoreSpread:
    mean = total / count
    return ScoreSpread(mean, math.sqrt(max(squares / count - mean * mean, 0.0)) or 1.0)


def _best_others(rows: npt.NDArray[np.int64], scores: npt.NDArray[np.float32], given: npt.NDArray[np.int64],
                 k: int) -> npt.NDArray[np.int64]:
    """The `k` best of `rows` (scores aligned) that are not given, best first, ties by row number."""
    keep = scores > 0
    if len(given):
        keep &= ~np.isin(rows, given, kind="table")
    rows, scores = rows[keep], scores[keep]
    if len(rows) > k > 0:
        cut = float(np.partition(scores, len(rows) - k)[len(rows) - k])
        rows, scores = rows[scores >= cut], scores[scores >= cut]
    return rows[np.lexsort((rows, -scores))][:k]


def exhaustive_candidates(view: Bm25Rows, terms: Sequence[QueryTerm], k: int,
                          given: npt.NDArray[np.int64]) -> RowCandidates:
    """Every posting of every term scored; the spread exact (rows outside the postings score 0)."""
    scores = np.zeros(len(view.live), dtype=np.float32)
    for term in terms:
        view.add_term(scores, term)
    rows = np.flatnonzero(scores)
    rows = rows[view.live[rows]]
    values = scores[rows].astype(np.float64)
    # einsum, not BLAS: its threads spin against each other on a loaded machine.
    spread = _spread(float(values.sum()), float(np.einsum("i,i->", values, values)), view.live_count)
    others = _best_others(rows, scores[rows], given, k)
    return RowCandidates(others, scores[np.concatenate([given, others])], spread)


def pruned_candidates(view: Bm25Rows, terms: Sequence[QueryTerm], k: int,
                      given: npt.NDArray[np.int64]) -> RowCandidates:
    """The rows and scores of `exhaustive_candidates`, most postings of the common terms left unscanned."""
    depth = k + len(given)
    bounds = [view.bound(term) for term in terms]
    partial = np.zeros(len(view.live), dtype=np.float32)
    order = sorted(range(len(terms)), key=lambda i: -bounds[i])
    rest, scanned_bound, threshold = float(sum(bounds)), 0.0, 0.0
    pool: list[npt.NDArray[np.int64]] = []
    scanned = 0
    for i in order:
        # No row scores above the scanned terms' bounds: until they pass the rest, the k-th best cannot either.
        if rest < scanned_bound and rest < (threshold := max(threshold, _kth_best(partial, view, pool, depth))):
            break
        pool.append(view.add_term(partial, terms[i]))
        rest -= bounds[i]
        scanned_bound += bounds[i]
        scanned += 1
    reached = np.flatnonzero(partial >= threshold - rest) if scanned < len(terms) else np.flatnonzero(partial)
    # A skipped term is looked up at each reached row (a binary search, several times the cost of a scanned
    # posting): once the reached rows pass a quarter of its postings, scanning them is cheaper.
    while scanned < len(terms) and len(reached) > _LOOKUP_COST * view.postings(terms[order[scanned]]):
        view.add_term(partial, terms[order[scanned]])
        rest -= bounds[order[scanned]]
        scanned += 1
        reached = np.flatnonzero(partial >= threshold - rest) if scanned < len(terms) else np.flatnonzero(partial)
    reached = reached[view.live[reached]]
    skipped = [terms[i] for i in order[scanned:]]
    contenders = _contenders(view, skipped, [bounds[i] for i in order[scanned:]], reached, partial[reached],
                             threshold, depth)
    rows = _distinct(np.concatenate([contenders, given]))
    scores = view.scores_at(terms, rows)
    others = _best_others(rows, scores, given, k)
    chosen = np.concatenate([given, others])
    dead = partial[view.dead_rows()].astype(np.float64)
    total = float(partial.sum(dtype=np.float64)) - float(dead.sum())
    squares = float(np.einsum("i,i->", partial, partial, dtype=np.float64)) - float(np.einsum("i,i->", dead, dead))
    if skipped:
        total, squares = _add_sampled(view, skipped, partial, total, squares)
    return RowCandidates(others, scores[np.searchsorted(rows, chosen)], _spread(total, squares, view.live_count))


_POOL_LIMIT = 1 << 16
_LOOKUP_COST = 0.25


def _distinct(rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The distinct rows, ascending (numpy 2's hashing `unique` took up to a second on 100 000 rows here)."""
    rows = np.sort(rows)
    return rows[np.concatenate([[True], rows[1:] != rows[:-1]])] if len(rows) else rows


def _kth_best(partial: npt.NDArray[np.float32], view: Bm25Rows, pool: Sequence[npt.NDArray[np.int64]],
              depth: int) -> float:
    """A lower bound of the `depth`-th best live partial score: the `depth`-th best among the rows of the first
    scanned terms' postings (the rarest: whole postings scored, so every row counts once), 0 when too few."""
    rows: list[npt.NDArray[np.int64]] = []
    size = 0
    for postings in pool:
        if size + len(postings) > _POOL_LIMIT and rows:
            break
        rows.append(postings)
        size += len(postings)
    found = _distinct(np.concatenate(rows)) if rows else np.zeros(0, dtype=np.int64)
    values = partial[found[view.live[found]]]
    return float(np.partition(values, len(values) - depth)[len(values) - depth]) if len(values) >= depth else 0.0


def _contenders(view: Bm25Rows, skipped: Sequence[QueryTerm], bounds: Sequence[float], rows: npt.NDArray[np.int64],
                partial: npt.NDArray[np.float32], threshold: float, depth: int) -> npt.NDArray[np.int64]:
    """The rows that may still reach the top `depth`: the skipped terms are looked up one by one (highest bound
    first) at the rows whose score so far plus the bounds left reaches the `depth`-th best score so far."""
    rest = float(sum(bounds))
    for term, bound in zip(skipped, bounds, strict=True):
        keep = partial + rest >= threshold
        rows, partial = rows[keep], partial[keep]
        partial = partial + view.scores_at([term], rows)
        rest -= bound
        if len(partial) >= depth:
            threshold = max(threshold, float(np.partition(partial, len(partial) - depth)[len(partial) - depth]))
    return rows[partial + rest >= threshold]


def _add_sampled(view: Bm25Rows, skipped: Sequence[QueryTerm], partial: npt.NDArray[np.float32],
                 total: float, squares: float) -> tuple[float, float]:
    """`total` and `squares` (the scanned terms' sums) with the skipped terms' share estimated on the sample:
    their scores S at a sampled row add S to the sum and S² + 2·S·(scanned part) to the sum of squares."""
    skipped_parts, scanned_parts = [], []
    for seg in view.segments:
        alive = view.live[seg.first_row + seg.sample_local]
        found = np.zeros(len(seg.sample_local), dtype=np.float32)
        for term in skipped:
            at, tf = seg.sample_postings(term.col)
            found[at] += view.term_scores(term, tf, seg.lengths[seg.sample_local[at]])
        skipped_parts.append(found[alive])
        scanned_parts.append(partial[seg.first_row + seg.sample_local[alive]])
    found_all = np.concatenate(skipped_parts).astype(np.float64)
    scanned = np.concatenate(scanned_parts).astype(np.float64)
    if not len(found_all):
        return total, squares
    scale = view.live_count / len(found_all)
    total += scale * float(found_all.sum())
    squares += scale * float(np.einsum("i,i->", found_all, found_all + 2 * scanned))
    return total, squares
