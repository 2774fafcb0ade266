"""A question not in English searched a second time as English, through the shipped IT glossary.

Multilingual-e5 places a question near the right subject but often on a neighbouring article (a Spanish
question on the guest Wi-Fi's password ranked the partner-site Wi-Fi first). The glossary (`assist.glossary`)
renders the question as the KB's English words ("password guest wifi"), which the English retrievers, BM25
over the articles' words and MiniLM, separate well: dictionary-based cross-language retrieval. Per chunk, the
two rankings are mixed after each is z-normalised over the same chunks: (1 - w) × multilingual + w × English,
`w` chosen on the German and French benchmark questions only (`RetrievalParams.glossary_weight`).

A question the glossary renders as nothing (no IT word it knows) is searched as before, and so is an English
one. The absolute evidence that lets an off-topic question abstain stays the multilingual cosine of the
question itself (`HybridRetriever._evidence`), so the rendering can reorder articles but adds no evidence.
A translation's chunks, which vote for their original, get the English score of the original's best chunk:
the English vectors of a German text say nothing about an English rendering.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from deskpilot.assist.glossary import it_glossary
from deskpilot.assist.index_store import KbIndex
from deskpilot.ml.lexical_index import INDEX_LANGUAGE, term_weights


@dataclass(frozen=True)
class EnglishQuery:
    """The glossary's English rendering of a dialogue query: BM25 terms and the MiniLM query vector."""

    index: KbIndex
    terms: dict[str, float]
    vector: npt.NDArray[np.float32]


def english_query(index: KbIndex, language: str | None, lexical_turns: Sequence[tuple[str, float]],
                  dense_turns: Sequence[tuple[str, float]]) -> EnglishQuery | None:
    """The English rendering of the turns, searched in `index.english`; None when there is nothing to search:
    an English question, no English index (or an approximate one), or a question the glossary cannot render."""
    english = index.english
    if language is None or language == INDEX_LANGUAGE or english is None or english.approximate or not dense_turns:
        return None
    glossary = it_glossary()
    rendered = [(glossary.render(text, language), weight) for text, weight in dense_turns]
    if not rendered[0][0]:
        return None
    rendered = [(text, weight) for text, weight in rendered if text]
    vectors = english.embedder.encode([text for text, _ in rendered])
    vector = np.asarray([weight for _, weight in rendered], dtype=np.float32) @ vectors
    terms = term_weights([(glossary.render(text, language), weight) for text, weight in lexical_turns])
    return EnglishQuery(english, terms, vector.astype(np.float32))


def _z(scores: npt.NDArray[np.float32], rows: npt.NDArray[np.bool_]) -> npt.NDArray[np.float32]:
    values = scores[rows]
    std = float(values.std()) or 1.0
    return ((scores - float(values.mean())) / std).astype(np.float32)


def english_scores(query: EnglishQuery, ids: Sequence[str | None], live: npt.NDArray[np.bool_],
                   slugs: Sequence[str], voters: Mapping[str, str], dense_weight: float,
                   lexical_weight: float) -> npt.NDArray[np.float32]:
    """Per row of `ids` (the multilingual index's rows): the English search's fused score, z-normalised over the
    live originals' chunks; a translation's chunk gets its original's best; 0 where not live."""
    english_ids, dense, lexical = query.index.score_all(query.terms, query.vector)
    row_of = {chunk_id: row for row, chunk_id in enumerate(english_ids) if chunk_id is not None}
    rows = np.asarray([row_of.get(c, -1) if c is not None else -1 for c in ids])
    aligned = np.where(rows >= 0, dense[rows], -np.inf).astype(np.float32)
    originals = live & np.isfinite(aligned) & np.asarray([s not in voters for s in slugs], dtype=bool)
    out = np.zeros(len(ids), dtype=np.float32)
    if not originals.any():
        return out
    out[originals] = dense_weight * _z(aligned, originals)[originals]
    if lexical is not None:
        aligned = np.where(rows >= 0, lexical[rows], 0.0).astype(np.float32)
        out[originals] += lexical_weight * _z(aligned, originals)[originals]
    best: dict[str, float] = {}
    for row in np.flatnonzero(originals).tolist():
        best[slugs[row]] = max(best.get(slugs[row], -np.inf), float(out[row]))
    lowest = float(out[originals].min())
    for row in np.flatnonzero(live & ~originals).tolist():
        out[row] = best.get(voters.get(slugs[row], slugs[row]), lowest)
    return out
