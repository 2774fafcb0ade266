"""BM25 over chunks: an in-process inverted index kept as sparse segments, saved as plain files.

Measured choice (see docs/benchmarks.md): a scipy-sparse implementation of our own instead of
tantivy or bm25s, because the assistant needs *weighted* query terms (recent dialogue turns count
more than old ones) and cheap incremental add/remove of one article's chunks; at 100k chunks it
answers in a few milliseconds, well inside the latency budget.

Updates never rescan: an add is a new immutable segment, and the newest segment is merged into the one before
it while that one is at most `_MERGE_RATIO` times its size (segment sizes fall geometrically from the oldest,
so there are about log(rows) of them and a row is rewritten about log(rows) times: one article's update
rewrites only the small newest segments); the segments are merged into one when a quarter of the rows are
removed. A removal masks rows and lowers the live document frequencies. `fork` shares the segments, the row
ids and the vocabulary (`copy_on_write`) and copies only the per-row and per-term counts (numpy arrays).
`candidates` gives the best rows for a query at scale and the mean and spread of its scores over every live row:
below `exact_below` rows from every posting of its terms (every other row scores 0); from there on by MaxScore
(`lexical_candidates`), the same rows and scores with most postings of the common terms left unscanned and their
share of the spread estimated on a sample of rows. (A first MaxScore try was taken back: with loose per-term
bounds, the k-th best score stayed below the common terms' bounds; the bounds are now each segment's best score.)

Layout of an index directory: `manifest.json` (format version, counts, parameters), `ids.json`
(chunk ids, one per row, `null` for removed rows), `vocabulary.json`, `tf.npz` (rows × terms).
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt
import Stemmer
from scipy import sparse

from deskpilot.errors import InvalidInput
from deskpilot.ml.artifacts import ArtifactKind, read_manifest, write_manifest
from deskpilot.ml.copy_on_write import CopyOnWriteMap, RowsClaim
from deskpilot.ml.lexical_candidates import (
    Bm25Rows,
    QueryTerm,
    ScoreSpread,
    exhaustive_candidates,
    pruned_candidates,
)
from deskpilot.ml.lexical_segment import Bm25Segment

KIND = ArtifactKind("bm25", 2, "a BM25 index", "rebuild the index")
INDEX_LANGUAGE = "en"  # the language of the stop words and stemmer: the KB's articles are written in English
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Words in Latin letters, accented ones included (Latin-1 and Latin Extended-A/B, not × or ÷), with one elided
# word before an apostrophe ("l'imprimante"); a run of another script is no word of the English index.
_LATIN = "0-9a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_FOREIGN_WORD = re.compile(f"[{_LATIN}]+(?:'[{_LATIN}]+)?")
_ELIDED = 2
_STOPWORD_TEXT = """a about above after again against all am an and any are as at be because been before
    being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most my
    myself no nor not of off on once only or other our ours ourselves out over own same she should so some
    such than that the their theirs them themselves then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you your yours
    yourself yourselves i'm i've i'd i'll it's don't can't won't okay ok hi hello thanks thank please yes
    yeah"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_MERGE_RATIO = 2


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    stemmer = Stemmer.Stemmer("english")
    stemmer.maxCacheSize = 200_000
    return stemmer


def tokenize(text: str) -> list[str]:
    """Lower-cased, stop-word-free, Snowball-stemmed word tokens (the unit of both index and query)."""
    words = [w.split("'")[0] for w in _TOKEN.findall(text.lower()) if w not in _STOPWORDS]
    return _stemmer().stemWords([w for w in words if w])  # type: ignore[no-any-return]


def tokenize_foreign(text: str) -> list[str]:
    """The terms of a question in another language than the index's English, matched against English words.

    `tokenize` keeps ASCII runs only, so it cuts a word with an accented letter into fragments ("nächste" →
    "n", "chste"; "contraseña" → "contrase", "a") that match English words by chance. Here a word keeps its
    accented letters (it then matches only the same word, a name or a loan word), a Latin word between
    characters of another script stands alone ("我的VPN连不上" → "vpn"), an elided article or pronoun
    before an apostrophe is dropped ("d'attente" → "attente"), and so are one-letter words; the English stop
    words and stemmer still apply, as in the index.
    """
    words = []
    for word in _FOREIGN_WORD.findall(text.lower()):
        head, _, tail = word.partition("'")
        word = tail if tail and len(head) <= _ELIDED else head
        if len(word) > 1 and word not in _STOPWORDS:
            words.append(word)
    return _stemmer().stemWords(words)  # type: ignore[no-any-return]


def term_weights(weighted_texts: Sequence[tuple[str, float]], *, foreign: bool = False) -> dict[str, float]:
    """A weighted bag of query terms: each text's terms count with that text's weight. `foreign`: the texts are
    in another language than the index (`tokenize_foreign`)."""
    split = tokenize_foreign if foreign else tokenize
    weights: dict[str, float] = {}
    for text, weight in weighted_texts:
        for term in set(split(text)):
            weights[term] = weights.get(term, 0.0) + weight
    return weights


class LexicalIndex(Protocol):
    """What the assistant needs from a keyword index; a PostgreSQL full-text index could serve it too."""

    def add(self, chunk_ids: Sequence[str], texts: Sequence[str]) -> None: ...

    def remove(self, chunk_ids: Sequence[str]) -> None: ...

    def search(self, query_terms: Mapping[str, float], k: int) -> list[tuple[str, float]]: ...

    def __len__(self) -> int: ...


@dataclass(frozen=True)
class LexicalCandidates:
    """The rows worth fusing for one query: the `including` ids first, then the best others; their BM25
    scores; and the spread of the scores over all live rows."""

    ids: list[str]
    scores: npt.NDArray[np.float32]
    spread: ScoreSpread


class Bm25Index:
    """Okapi BM25 with live statistics, so adds and removals need no rebuild of the whole index.

    `_ids` holds the chunk id of every row ever appended (shared with forks, so it may run past this index's
    rows, `len(_live)`); whether a row is still retrievable is `_live` alone.
    """

    def __init__(self, *, k1: float = 1.2, b: float = 0.75, exact_below: int = 65_536) -> None:
        self.k1 = k1
        self.b = b
        self.exact_below = exact_below
        self._vocab: CopyOnWriteMap[str, int] = CopyOnWriteMap()
        self._ids: list[str | None] = []
        self._claim = RowsClaim(0)
        self._row_of: CopyOnWriteMap[str, int] = CopyOnWriteMap()
        self._segments: list[Bm25Segment] = []
        self._df = np.zeros(0, dtype=np.int64)
        self._lengths = np.zeros(0, dtype=np.float32)
        self._live = np.zeros(0, dtype=bool)
        self._live_length = 0.0
        self._dead: npt.NDArray[np.int64] | None = None

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, chunk_id: object) -> bool:
        return chunk_id in self._row_of

    def fork(self) -> Bm25Index:
        """A copy to change while searches go on in this one: segments, row ids and vocabulary are shared."""
        twin = copy.copy(self)
        twin._vocab, twin._row_of = self._vocab.fork(), self._row_of.fork()
        twin._segments, twin._df, twin._live = list(self._segments), self._df.copy(), self._live.copy()
        return twin

    def add(self, chunk_ids: Sequence[str], texts: Sequence[str]) -> None:
        """Index `texts` under `chunk_ids`; an id already present is replaced."""
        if len(chunk_ids) != len(texts):
            raise InvalidInput("chunk ids and texts differ in number")
        self.remove([c for c in chunk_ids if c in self._row_of])
        self._add_token_lists(chunk_ids, [tokenize(t) for t in texts])

    def _add_token_lists(self, chunk_ids: Sequence[str], token_lists: Sequence[list[str]]) -> None:
        if not chunk_ids:
            return
        rows, cols, vals = [], [], []
        column: dict[str, int] = {}  # this batch's terms: a plain dict in the loop, the shared vocabulary once each
        for row, tokens in enumerate(token_lists):
            for term, count in Counter(tokens).items():
                col = column.get(term)
                if col is None:
                    col = column[term] = self._vocab.setdefault(term, len(self._vocab))
                rows.append(row)
                cols.append(col)
                vals.append(count)
        first = self._rows
        tf = sparse.csc_matrix(
            (np.asarray(vals, dtype=np.float32), (rows, cols)), shape=(len(chunk_ids), len(self._vocab))
        )
        lengths = np.asarray([len(t) for t in token_lists], dtype=np.float32)
        self._segments.append(Bm25Segment.of(first, tf, lengths, k1=self.k1, b=self.b))
        self._grow(tf, lengths)
        if not self._claim.take(first, first + len(chunk_ids)):
            self._ids = self._ids[:first]  # another fork appended behind the rows this one sees
            self._claim = RowsClaim(first + len(chunk_ids))
        self._ids.extend(chunk_ids)
        for offset, chunk_id in enumerate(chunk_ids):
            self._row_of[chunk_id] = first + offset
        self._merge_newer_segments()

    @property
    def _rows(self) -> int:
        """Rows of this index, removed ones included (`_ids` may be longer: it is shared with forks)."""
        return len(self._live)

    def _grow(self, tf: sparse.csc_matrix, lengths: npt.NDArray[np.float32]) -> None:
        df = np.zeros(len(self._vocab), dtype=np.int64)
        df[: len(self._df)] = self._df
        df[: tf.shape[1]] += np.diff(tf.indptr)
        self._df = df
        self._lengths = np.concatenate([self._lengths, lengths])
        self._live = np.concatenate([self._live, np.ones(len(lengths), dtype=bool)])
        self._live_length += float(lengths.sum())

    def remove(self, chunk_ids: Sequence[str]) -> None:
        """Make the chunks unretrievable at once; their rows are dropped when a quarter of the rows are dead."""
        for chunk_id in chunk_ids:
            row = self._row_of.pop(chunk_id, None)
            if row is None:
                continue
            segment = next(s for s in reversed(self._segments) if s.first_row <= row)
            local = row - segment.first_row
            terms = segment.by_row.indices[segment.by_row.indptr[local] : segment.by_row.indptr[local + 1]]
            self._df[terms] -= 1
            self._live[row] = False
            self._dead = None
            self._live_length -= float(self._lengths[row])
        if self._rows and len(self._row_of) < 0.75 * self._rows:
            self._merge_segments()

    def _stacked(self, segments: Sequence[Bm25Segment]) -> sparse.csr_matrix:
        width = len(self._vocab)
        blocks = []
        for segment in segments:
            block = segment.by_row.copy()
            block.resize((block.shape[0], width))
            blocks.append(block)
        return sparse.vstack(blocks, format="csr") if blocks else sparse.csr_matrix((0, width))

    def _merge_newer_segments(self) -> None:
        """Fold the newest segments into the one before them while it is at most `_MERGE_RATIO` times their
        size (the segments are shared with forks: a merge makes a new one); rows keep their numbers."""
        newest = len(self._segments) - 1
        rows = len(self._segments[newest].lengths)
        while newest > 0 and len(self._segments[newest - 1].lengths) <= _MERGE_RATIO * rows:
            newest -= 1
            rows += len(self._segments[newest].lengths)
        if newest == len(self._segments) - 1:
            return
        newer = self._segments[newest:]
        lengths = np.concatenate([s.lengths for s in newer])
        merged = Bm25Segment.of(newer[0].first_row, sparse.csc_matrix(self._stacked(newer), dtype=np.float32), lengths,
                                k1=self.k1, b=self.b)
        self._segments = [*self._segments[:newest], merged]

    def _merged(self) -> tuple[sparse.csc_matrix, list[str | None], npt.NDArray[np.float32]]:
        """All live rows as one matrix, with their ids and lengths (nothing is changed)."""
        keep = np.flatnonzero(self._live)
        tf = sparse.csc_matrix(self._stacked(self._segments)[keep], dtype=np.float32)
        return tf, [self._ids[i] for i in keep], self._lengths[keep]

    def _merge_segments(self) -> None:
        """Fold all segments into one and drop removed rows (ids keep their order)."""
        tf, ids, lengths = self._merged()
        self._adopt(tf, ids, lengths)

    def _adopt(self, tf: sparse.csc_matrix, ids: list[str | None], lengths: npt.NDArray[np.float32]) -> None:
        self._ids = ids
        self._claim = RowsClaim(len(ids))
        self._row_of = CopyOnWriteMap((cid, row) for row, cid in enumerate(ids) if cid is not None)
        self._lengths = lengths
        self._live = np.ones(len(ids), dtype=bool)
        self._dead = None
        self._live_length = float(lengths.sum())
        self._segments = [Bm25Segment.of(0, tf, lengths, k1=self.k1, b=self.b)]
        self._df = np.diff(tf.indptr).astype(np.int64)

    def search(self, query_terms: Mapping[str, float], k: int) -> list[tuple[str, float]]:
        """The `k` best chunks for a weighted bag of (already tokenized) query terms, best first."""
        scores = self.score_all(query_terms)
        return [] if scores is None else self.top_of(scores, k)

    def _terms(self, query_terms: Mapping[str, float]) -> list[QueryTerm]:
        """The known query terms with a live posting, with their weighted idf."""
        n_live = len(self._row_of)
        found = []
        for term, weight in query_terms.items():
            col = self._vocab.get(term)
            if col is None or weight <= 0 or col >= len(self._df) or self._df[col] <= 0:
                continue
            df = int(self._df[col])
            found.append(QueryTerm(col, float(np.log1p((n_live - df + 0.5) / (df + 0.5)) * weight), df))
        return found

    def rarity(self, terms: Iterable[str]) -> dict[str, float]:
        """Each term's idf relative to that of a term only one live chunk holds: 1 for the rarest, less for a term
        many chunks share; a term no live chunk holds counts as the rarest."""
        top = float(np.log1p((len(self._row_of) - 0.5) / 1.5)) or 1.0
        known = {term: self._terms({term: 1.0}) for term in terms}
        return {term: min(found[0].idf / top, 1.0) if found else 1.0 for term, found in known.items()}

    def _average_length(self) -> float:
        return (self._live_length / len(self._row_of) if self._row_of else 0.0) or 1.0

    def _scoring(self) -> Bm25Rows:
        return Bm25Rows(self._segments, self._live, len(self._row_of), self.k1, self.b, self._average_length(),
                        self._dead_rows)

    def _dead_rows(self) -> npt.NDArray[np.int64]:
        """The removed rows, found once per removal (not once per query)."""
        if self._dead is None:
            self._dead = np.flatnonzero(~self._live)
        return self._dead

    def score_all(self, query_terms: Mapping[str, float]) -> npt.NDArray[np.float32] | None:
        """BM25 score of every row (removed rows score 0); None when no query term is known."""
        terms = self._terms(query_terms)
        if not terms:
            return None
        scores = np.zeros(self._rows, dtype=np.float32)
        scoring = self._scoring()
        for term in terms:
            scoring.add_term(scores, term)
        scores[~self._live] = 0.0
        return scores

    def candidates(self, query_terms: Mapping[str, float], k: int,
                   including: Sequence[str] = ()) -> LexicalCandidates | None:
        """The ids in `including` and the `k` best other rows, with their scores and the mean and spread of the
        scores over all live rows; None when no query term is known.

        From `exact_below` rows on, the common terms' postings are mostly left unscanned (`pruned_candidates`:
        the same rows and scores, the spread's share of those terms estimated on a sample of rows); below it,
        every posting of the query's terms is scored and the spread is exact.
        """
        terms = self._terms(query_terms)
        if not terms:
            return None
        choose = exhaustive_candidates if self._rows < self.exact_below else pruned_candidates
        found = choose(self._scoring(), terms, k, self.rows_of(including))
        row_ids = self._ids
        return LexicalCandidates([*including, *(str(row_ids[r]) for r in found.others.tolist())], found.scores,
                                 found.spread)

    def row_ids(self) -> list[str | None]:
        """Chunk id of each row, aligned with `score_all` (None for removed rows)."""
        live = self._live.tolist()
        return [cid if alive else None for cid, alive in zip(self._ids[: self._rows], live, strict=True)]

    def live_rows(self) -> npt.NDArray[np.bool_]:
        """Which rows of `score_all` hold a retrievable chunk."""
        return self._live

    def rows_of(self, chunk_ids: Sequence[str]) -> npt.NDArray[np.int64]:
        """The `score_all` row of each chunk id."""
        return np.asarray(self._row_of.values_of(chunk_ids), dtype=np.int64)

    def top_of(self, scores: npt.NDArray[np.float32], k: int) -> list[tuple[str, float]]:
        """The `k` best chunks (score above zero) of a `score_all` result, best first."""
        k = min(k, int(np.count_nonzero(scores > 0)))
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(str(self._ids[i]), float(scores[i])) for i in top]

    def save(self, directory: Path) -> None:
        """Write the live rows as plain files, merged into one matrix (the index itself is not changed)."""
        tf, ids, _ = self._merged()
        directory.mkdir(parents=True, exist_ok=True)
        sparse.save_npz(directory / "tf.npz", tf)
        (directory / "ids.json").write_text(json.dumps(ids), encoding="utf-8")
        (directory / "vocabulary.json").write_text(json.dumps(dict(self._vocab)), encoding="utf-8")
        write_manifest(directory, KIND, embedder_model_id=None,
                       details={"chunks": len(self), "terms": len(self._vocab), "k1": self.k1, "b": self.b})

    @classmethod
    def load(cls, directory: Path) -> Bm25Index:
        """Read an index written by `save`; ArtifactRefused for another format version."""
        manifest = read_manifest(directory, KIND, embedder_model_id=None).details
        index = cls(k1=float(manifest["k1"]), b=float(manifest["b"]))
        index._vocab = CopyOnWriteMap(json.loads((directory / "vocabulary.json").read_text(encoding="utf-8")))
        tf = sparse.csc_matrix(sparse.load_npz(directory / "tf.npz"), dtype=np.float32)
        lengths = np.asarray(tf.sum(axis=1)).ravel().astype(np.float32)
        index._adopt(tf, json.loads((directory / "ids.json").read_text(encoding="utf-8")), lengths)
        return index
