"""One immutable block of BM25 rows, with what a pruned top-k needs to skip most of its postings.

Besides the term frequencies (by term and by row) and the row lengths, a segment keeps, per term, the largest
BM25 score at the segment's own average length, which bounds its score at any other average length: a query can
tell, before touching a term's postings, that they cannot lift a row into the top k. It also keeps every
`SAMPLE_STRIDE`-th row (by row number) as a small matrix of its own: the rows on which the score spread of the
common terms is estimated instead of scanning their postings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

SAMPLE_STRIDE = 16


def term_scores(idf: float, tf: npt.NDArray[np.float32], lengths: npt.NDArray[np.float32], *,
                k1: float, b: float, average_length: float) -> npt.NDArray[np.float32]:
    """BM25 scores of one term at some rows (the one formula every path uses, so their sums agree bit for bit)."""
    # idf·tf·(k1+1) / (tf + k1·(1 - b + b·len/avg)), written with as few passes over the arrays as it takes.
    out = lengths * np.float32(k1 * b / average_length)
    out += np.float32(k1 * (1 - b))
    out += tf
    np.divide(tf, out, out=out)
    out *= np.float32(idf * (k1 + 1))
    return out


def _column_reduce(ufunc: np.ufunc, values: npt.NDArray[np.float32], indptr: npt.NDArray[np.int32],
                   empty: float) -> npt.NDArray[np.float32]:
    """`ufunc` over each column's slice of `values` (a CSC layout); `empty` for columns without postings."""
    out = np.full(len(indptr) - 1, empty, dtype=np.float32)
    filled = np.flatnonzero(np.diff(indptr))
    if len(filled):
        out[filled] = ufunc.reduceat(values, indptr[filled])
    return out


@dataclass
class Bm25Segment:
    """Rows `first_row …` of an index: term frequencies (CSC, rows × terms, and CSR), lengths, bounds, sample."""

    first_row: int
    tf: sparse.csc_matrix
    lengths: npt.NDArray[np.float32]
    by_row: sparse.csr_matrix
    best_scores: npt.NDArray[np.float32]
    reference_length: float
    sample_local: npt.NDArray[np.int64]
    sample_tf: sparse.csc_matrix

    @classmethod
    def of(cls, first_row: int, tf: sparse.csc_matrix, lengths: npt.NDArray[np.float32], *,
           k1: float, b: float) -> Bm25Segment:
        tf.sort_indices()
        reference = float(lengths.mean()) if len(lengths) else 1.0
        scores = term_scores(1.0, tf.data, lengths[tf.indices], k1=k1, b=b, average_length=reference or 1.0)
        best_scores = _column_reduce(np.maximum, scores, tf.indptr, 0.0)
        local = np.arange((-first_row) % SAMPLE_STRIDE, len(lengths), SAMPLE_STRIDE)
        by_row = tf.tocsr()
        sample_tf = sparse.csc_matrix(by_row[local])
        sample_tf.sort_indices()
        return cls(first_row, tf, lengths, by_row, best_scores, reference or 1.0, local, sample_tf)

    def postings(self, col: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        """Local rows (ascending) and frequencies of one term in this segment."""
        return _column(self.tf, col)

    def sample_postings(self, col: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        """Positions in `sample_local` and frequencies of one term in this segment's sampled rows."""
        return _column(self.sample_tf, col)

    def bound(self, col: int, average_length: float) -> float:
        """The largest BM25 score (idf 1) the term can give a row of this segment, for this average length.

        Its best score was taken at the segment's own average length A0; at an average A a score can only have
        grown, and by at most A / A0, when A > A0: with u = k1(1-b)/tf and v = k1·b·len/(tf·A0), the score is
        (k1+1) / (1 + u + v·A0/A), and 1 + u + v·A0/A ≥ (A0/A)(1 + u + v).
        """
        if col >= len(self.best_scores):
            return 0.0
        return float(self.best_scores[col]) * max(1.0, average_length / self.reference_length)


def _column(matrix: sparse.csc_matrix, col: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
    if col >= matrix.shape[1]:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
    lo, hi = matrix.indptr[col], matrix.indptr[col + 1]
    return matrix.indices[lo:hi], matrix.data[lo:hi]
