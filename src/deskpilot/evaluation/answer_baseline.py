"""The baseline for `deskpilot eval answers`: the composer as it was before the trained span scorer.

Up to two sentences (or the run of numbered steps) of the top article's best chunks, ranked by MiniLM
cosine to the utterance plus the share of query terms (utterance and the previous turn) they contain.
Kept here, beside the evaluation, so every run prints ours beside it on the same search results.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from deskpilot.assist.chunking import Chunk, split_sentences
from deskpilot.assist.dialogue import RetrievalQuery
from deskpilot.assist.grounded import STEP, CitedSentence
from deskpilot.assist.retrieval import SearchResult
from deskpilot.ml.embeddings import Embedder
from deskpilot.ml.lexical_index import tokenize

MAX_SENTENCES = 2


def baseline_evidence(query: RetrievalQuery, result: SearchResult, embedder: Embedder) -> tuple[CitedSentence, ...]:
    """The sentences (or the run of numbered steps) of the top article that best match the question."""
    top = result.hits[0]
    units = [(chunk.chunk, text) for chunk in top.chunks for text in split_sentences(chunk.chunk.text)]
    if not units:
        return ()
    scores = _unit_scores(query, result, [text for _, text in units], embedder)
    best = int(np.argmax(scores))
    picked = _steps_around(units, best) if STEP.match(units[best][1]) else [best]
    for index in np.argsort(-scores):
        if len(picked) >= MAX_SENTENCES:
            break
        same_chunk = units[int(index)][0] is units[best][0]
        if int(index) not in picked and same_chunk and scores[index] >= 0.8 * scores[best]:
            picked.append(int(index))
    return tuple(CitedSentence(units[i][1], units[i][0].slug, units[i][0].version, units[i][0].chunk_id)
                 for i in sorted(picked))


def _unit_scores(query: RetrievalQuery, result: SearchResult, texts: list[str],
                 embedder: Embedder) -> npt.NDArray[np.float64]:
    semantic = embedder.encode(texts) @ result.query_vector
    wanted = set(tokenize(query.text))
    if query.context:
        wanted |= set(tokenize(query.context[0].text))
    overlap = np.asarray([len(wanted & set(tokenize(t))) / (len(wanted) or 1) for t in texts])
    scores: npt.NDArray[np.float64] = semantic + overlap
    return scores


def _steps_around(units: list[tuple[Chunk, str]], best: int) -> list[int]:
    """The whole run of consecutive steps the best unit belongs to, in the same chunk."""
    chunk = units[best][0]
    start = best
    while start > 0 and units[start - 1][0] is chunk and STEP.match(units[start - 1][1]):
        start -= 1
    end = best
    while end + 1 < len(units) and units[end + 1][0] is chunk and STEP.match(units[end + 1][1]):
        end += 1
    if start > 0 and units[start - 1][0] is chunk and units[start - 1][1].rstrip().endswith(":"):
        start -= 1
    return list(range(start, end + 1))
