"""Hybrid KB search: BM25 and dense scores fused per chunk, aggregated per article, with history votes.

Fusion: each signal is z-normalised over all live chunks and the two are added with a dense weight;
turn weights, fusion weight and the confidence calibration were chosen by 5-fold cross-validation
over the dialogues of doc2dial queries_dev (see docs/benchmarks.md). The confidence is a calibrated
probability that the first article is the right one (logistic on the top score and its margin),
shifted by the absolute evidence (raw cosine of the query to the top article's best chunk or title),
which z-normalisation cannot see: an off-topic question still has a clear per-query winner.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from deskpilot.assist import naming
from deskpilot.assist.cross_language import EnglishQuery, english_query, english_scores
from deskpilot.assist.dialogue import RetrievalQuery, Speaker
from deskpilot.assist.history import PastQuestion, QuestionHistory
from deskpilot.assist.index_store import KbIndex
from deskpilot.assist.search_result import ArticleHit, Evidence, ScoredChunk, SearchResult
from deskpilot.assist.titles import title_agreement, title_parts
from deskpilot.ml.lexical_index import INDEX_LANGUAGE, term_weights, tokenize
from deskpilot.ml.tuning import DEFAULT_TUNING, EmbedderTuning

GLOSSARY_WEIGHT = 0.4

__all__ = [
    "ArticleHit",
    "Evidence",
    "HybridRetriever",
    "PastQuestion",
    "RetrievalParams",
    "RetrievalQuery",
    "SearchResult",
]


@dataclass(frozen=True)
class RetrievalParams:
    """Knobs of the hybrid search (defaults chosen by cross-validation, see the module docstring)."""

    max_turns: int = 6
    lexical_decay: float = 0.5
    lexical_agent_weight: float = 0.5
    dense_decay: float = 0.7
    dense_agent_weight: float = 0.5
    dense_weight: float = 1.3
    # BM25 matches the question's words with the articles' words: for a question in another language than the
    # articles that is mostly chance ("lent", "est", "mon"), so the multilingual view weighs it less (tuning).
    lexical_weight: float = DEFAULT_TUNING.lexical_weight
    history_weight: float = 1.0
    # Times the KB's title agreement, among the articles close without titles (`assist.titles`): 2 is what the
    # StackFAQ folds chose (docs/benchmarks.md, "Title similarity weighted by how well titles name their articles").
    title_weight: float = 2.0
    chunks_per_article: int = 3
    calibration: tuple[float, float, float] = (-1.197, 0.00845, 0.4216)
    # Absolute evidence (see `Evidence`): the confidence's logit moves by `evidence_weight` per unit of
    # evidence above (below) `evidence_floor`, so a question outside the KB's domain abstains however
    # clearly one article wins the per-query normalised ranking. Both are on the embedder's cosine scale:
    # tuned per embedder (`ml/tuning.py`) and stored with the index; the defaults are MiniLM's.
    evidence_floor: float = DEFAULT_TUNING.evidence_floor
    evidence_weight: float = DEFAULT_TUNING.evidence_weight
    coverage_weight: float = 0.0
    # A question not in English: the weight of its English rendering by the IT glossary, searched as English
    # questions are, beside the multilingual ranking (`assist.cross_language`); chosen on German and French.
    glossary_weight: float = GLOSSARY_WEIGHT
    # With an approximate vector index: chunks fused per query, from each of the two searches.
    candidates: int = 256

    @classmethod
    def tuned(cls, tuning: EmbedderTuning) -> RetrievalParams:
        """The defaults with the evidence thresholds of an embedder's tuning."""
        return cls(evidence_floor=tuning.evidence_floor, evidence_weight=tuning.evidence_weight,
                   lexical_weight=tuning.lexical_weight)


@dataclass(frozen=True)
class _ChunkScores:
    """Per vector-index row: chunk id, fused score and its weighted dense and BM25 parts."""

    ids: list[str | None]
    fused: npt.NDArray[np.float32]
    dense: npt.NDArray[np.float32]
    lexical: npt.NDArray[np.float32]


def _unit(vector: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norm = float(np.linalg.norm(vector)) or 1.0
    return (vector / norm).astype(np.float32)


def _z(scores: npt.NDArray[np.float32], live: npt.NDArray[np.bool_]) -> npt.NDArray[np.float32]:
    values = scores[live]
    if values.size == 0:
        return np.zeros_like(scores)
    std = float(values.std()) or 1.0
    out = (scores - float(values.mean())) / std
    out[~live] = -np.inf
    return out.astype(np.float32)


def _translations_scaled(
    dense: npt.NDArray[np.float32], lexical: npt.NDArray[np.float32] | None,
    translated: npt.NDArray[np.bool_], translations: npt.NDArray[np.bool_],
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32] | None]:
    """The scores with the translations' chunks made comparable with the originals'.

    Multilingual-e5 puts a question nearer to any text in its own language: left as they are, a partly translated
    KB's few translations win every question (French P@1 0.85 → 0.55 on the demo KB). So their cosines are moved
    by the question's mean cosine to the `translated` originals' chunks less its mean to their translations'
    chunks: the same articles in both languages, so what is left of the difference is the language's pull, not
    the subject's. Their BM25 does not count (the question's words match the translation's words, which the
    originals do not share).
    """
    if not translations.any() or not translated.any():
        return dense, lexical
    dense = dense.copy()
    dense[translations] += float(dense[translated].mean() - dense[translations].mean())
    if lexical is not None:
        lexical = lexical.copy()
        lexical[translations] = 0.0
    return dense, lexical


class HybridRetriever:
    """Searches a `KbIndex`; the past questions its history holds vote for the articles that answered them."""

    def __init__(self, index: KbIndex, params: RetrievalParams | None = None) -> None:
        self.index = index
        self.params = params or RetrievalParams.tuned(index.tuning)
        self.history: QuestionHistory = index.history

    def learn_history(self, questions: Sequence[PastQuestion]) -> None:
        """Past questions with the article that answered them become evidence for that article.

        They are kept in the index's history (and saved with it), so every retriever over the index uses them.
        """
        self.history.add([q for q in questions if q.slug in self.index.documents])

    def search(self, query: RetrievalQuery, *, k: int = 10,
               utterance_vector: npt.NDArray[np.float32] | None = None, language: str | None = None) -> SearchResult:
        """The `k` best articles for a (dialogue) query, with their best chunks and a confidence.

        Pass `utterance_vector` when the caller already embedded `query.text`: only earlier turns are embedded.
        With `language`, the originals are ranked (`KbIndex.originals`) and each is replaced by its translation
        into `language` when the index has one; the confidence is the original's. Without it, every article is
        ranked. Ranking translations beside originals was measured worse: a partly translated KB pulled every
        French question to its four French articles on shared words (P@1 0.70 → 0.30, docs/benchmarks.md).
        The chunks of a translation into `language` count for its original instead (`_translations_voting`).
        """
        allowed = self.index.originals() if language else None
        voters = self._translations_voting(language, allowed)
        p = self.params
        lexical_turns = query.weighted_turns(
            decay=p.lexical_decay, agent_weight=p.lexical_agent_weight, max_turns=p.max_turns
        )
        dense_turns = query.weighted_turns(
            decay=p.dense_decay, agent_weight=p.dense_agent_weight, max_turns=p.max_turns
        )
        given = utterance_vector if dense_turns and dense_turns[0][0] == query.text else None
        turn_vectors = self._turn_vectors([text for text, _ in dense_turns], given)
        query_vector = np.asarray([w for _, w in dense_turns], dtype=np.float32) @ turn_vectors
        terms = term_weights(lexical_turns, foreign=language not in (None, INDEX_LANGUAGE))
        english = (english_query(self.index, language, lexical_turns, dense_turns) if p.glossary_weight > 0
                   else None)
        scored = self._fused_chunk_scores(terms, query_vector, allowed, voters, english)
        if scored is None:
            return SearchResult([], 0.0, turn_vectors[0])
        foreign = language not in (None, INDEX_LANGUAGE)
        ranked = self._articles(scored, turn_vectors[0], query_vector, k, allowed, voters, titled=not foreign)
        if not ranked or k < 1:
            return SearchResult([], 0.0, turn_vectors[0])
        # The title reorders close articles; it is not evidence that the question is in the KB's domain
        # (`assist.titles`): the evidence and the confidence are the text's, about the article it ranks first,
        # which stays among the `k` shown.
        by_text = sorted(ranked, key=lambda hit: -hit.text_score)[:k]
        evidence = self._evidence(by_text[0], terms, query_vector)
        confidence = self._confidence(by_text, evidence)
        shown = ranked[:k]
        hits = shown if by_text[0].slug in {hit.slug for hit in shown} else [*ranked[: k - 1], by_text[0]]
        words = naming.question_words(query.text, foreign=foreign)
        hits = [replace(hit, named=naming.named_weight(words, hit.document, self.index.lexical)) for hit in hits]
        if language:
            hits = [self._in_language(hit, language, query_vector) for hit in hits]
        return SearchResult(hits, confidence, turn_vectors[0], evidence,
                            _unit(query_vector), self._agent_vector(query, dense_turns, turn_vectors))

    def _translations_voting(self, language: str | None, originals: set[str] | None) -> dict[str, str]:
        """The translations into `language` of ranked originals, each with its original: their chunks count for
        the original in exact search (the multilingual view's is always exact). A question is closer to any text
        in its own language, so their cosines are first moved onto the originals' scale (`_translations_scaled`).
        """
        if language is None or originals is None:
            return {}
        return {d.slug: d.translation_of for d in self.index.documents.values()
                if d.language == language and d.translation_of in originals and d.slug not in originals}

    @staticmethod
    def _agent_vector(query: RetrievalQuery, dense_turns: list[tuple[str, float]],
                      turn_vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32] | None:
        """The embedded latest agent turn, when it is among the turns the dense query used."""
        agent = next((turn.text for turn in query.context if turn.speaker is Speaker.AGENT), None)
        rows = [row for row, (text, _) in enumerate(dense_turns) if row and text == agent]
        return turn_vectors[rows[0]] if rows else None

    def _in_language(self, hit: ArticleHit, language: str, query_vector: npt.NDArray[np.float32]) -> ArticleHit:
        """`hit` with the article's translation into `language` and its chunks closest to the query, if any."""
        document = self.index.translation(hit.slug, language)
        if document is None or not hit.chunks:
            return hit
        best = hit.chunks[0]
        chunks = sorted(self.index.chunks_of(document.slug),
                        key=lambda c: -float(self.index.vectors.vector(c.chunk_id).reshape(-1) @ query_vector))
        return replace(hit, document=document, chunks=tuple(
            ScoredChunk(c, best.score, best.lexical, best.dense) for c in chunks[: self.params.chunks_per_article]))

    def _turn_vectors(self, texts: list[str], utterance_vector: npt.NDArray[np.float32] | None
                      ) -> npt.NDArray[np.float32]:
        if utterance_vector is None or not texts:
            return self.index.embedder.encode(texts)
        first = np.asarray(utterance_vector, dtype=np.float32).reshape(1, -1)
        return np.vstack([first, self.index.embedder.encode(texts[1:])]) if len(texts) > 1 else first

    def _fused_chunk_scores(
        self, terms: dict[str, float], query_vector: npt.NDArray[np.float32], allowed: set[str] | None,
        voters: dict[str, str] | None = None, english: EnglishQuery | None = None,
    ) -> _ChunkScores | None:
        if self.index.approximate:
            return self._fused_candidate_scores(terms, query_vector, allowed)
        ids, dense, lexical = self.index.score_all(terms, query_vector)
        live = np.isfinite(dense)
        if allowed is not None:
            slugs = [self.index.chunks[c].slug if c is not None else "" for c in ids]
            ranked = live & np.asarray([s in allowed for s in slugs], dtype=bool)
            if voters:
                translated_slugs = set(voters.values())
                translations = live & np.asarray([s in voters for s in slugs], dtype=bool)
                translated = live & np.asarray([s in translated_slugs for s in slugs], dtype=bool)
                dense, lexical = _translations_scaled(dense, lexical, translated, translations)
                ranked |= translations
            live = ranked
        if not live.any():
            return None
        dense_part = self.params.dense_weight * _z(dense, live)
        lexical_part = np.zeros_like(dense_part)
        if lexical is not None:
            lexical_part = _z(lexical, live)
            lexical_part[live] *= self.params.lexical_weight  # the others stay -inf (0 × -inf is not a number)
        fused = dense_part + lexical_part
        if english is not None and allowed is not None:
            w = self.params.glossary_weight
            fused = (1 - w) * fused + w * english_scores(english, ids, live, slugs, voters or {},
                                                          self.params.dense_weight, DEFAULT_TUNING.lexical_weight)
        return _ChunkScores(ids, fused, dense_part, lexical_part)

    def _fused_candidate_scores(
        self, terms: dict[str, float], query_vector: npt.NDArray[np.float32], allowed: set[str] | None
    ) -> _ChunkScores | None:
        """The fused scores of the candidate chunks only, z-normalised with the spread over all chunks, so they
        equal what exact search gives those chunks (up to the sampled dense spread)."""
        found = self.index.candidates(terms, query_vector, self.params.candidates)
        if allowed is not None:
            keep = np.asarray([self.index.chunks[c].slug in allowed for c in found.ids], dtype=bool)
        else:
            keep = np.ones(len(found.ids), dtype=bool)
        if not keep.any():
            return None
        spread = found.dense_spread
        dense_part = (self.params.dense_weight * (found.dense - spread.mean) / spread.std).astype(np.float32)
        lexical_part = np.zeros_like(dense_part)
        if found.lexical is not None and found.lexical_spread is not None:
            lexical_part = (self.params.lexical_weight * (found.lexical - found.lexical_spread.mean)
                            / found.lexical_spread.std).astype(np.float32)
        fused = dense_part + lexical_part
        fused[~keep] = -np.inf
        return _ChunkScores(list[str | None](found.ids), fused, dense_part, lexical_part)

    def _evidence(
        self,
        top: ArticleHit,
        terms: dict[str, float],
        query_vector: npt.NDArray[np.float32],
    ) -> Evidence:
        """How well the top article supports the query in absolute terms (see `Evidence`)."""
        norm = float(np.linalg.norm(query_vector)) or 1.0
        vectors = [self.index.vectors.vector(c.chunk.chunk_id) for c in top.chunks]
        if top.slug in self.index.titles:
            vectors.append(self.index.titles.vector(top.slug))
        cosine = max(float(np.dot(v.reshape(-1), query_vector)) for v in vectors) / norm
        total = sum(terms.values())
        if total <= 0:
            return Evidence(cosine, 0.0, self.params.evidence_floor)
        vocabulary = set(tokenize(top.document.title)) | set(tokenize(top.document.text))
        coverage = sum(w for term, w in terms.items() if term in vocabulary) / total
        return Evidence(cosine, coverage, self.params.evidence_floor)

    def _articles(
        self,
        fused: _ChunkScores,
        utterance: npt.NDArray[np.float32],
        query_vector: npt.NDArray[np.float32],
        k: int,
        allowed: set[str] | None = None,
        voters: dict[str, str] | None = None,
        *,
        titled: bool = True,
    ) -> list[ArticleHit]:
        """The `k` best articles: best chunk plus history votes, then the title among the close ones
        (`assist.titles`; not for a question in another language, whose titles are not what it is compared with)."""
        ids, scores = fused.ids, fused.fused
        support = self.history.support(utterance) if len(self.history) else []
        votes = self.history.tally(support)
        depth = min(len(scores), max(50, 10 * k))
        top = np.argpartition(-scores, depth - 1)[:depth]
        by_article: dict[str, list[ScoredChunk]] = {}
        for row in top[np.argsort(-scores[top])]:
            chunk_id = ids[row]
            if chunk_id is None or not np.isfinite(scores[row]):
                continue
            chunk = self.index.chunks[chunk_id]
            by_article.setdefault((voters or {}).get(chunk.slug, chunk.slug), []).append(
                ScoredChunk(chunk, float(scores[row]), float(fused.lexical[row]), float(fused.dense[row]))
            )
        floor = min((c[-1].score for c in by_article.values()), default=0.0)
        for slug in votes:
            if slug not in by_article and slug in self.index.documents and (allowed is None or slug in allowed):
                # Known only through history: enters at the lowest candidate score, its votes lift it.
                by_article[slug] = [ScoredChunk(self.index.chunks_of(slug)[0], floor)]
        history = {slug: self.params.history_weight * votes.get(slug, 0.0) for slug in by_article}
        text = {slug: chunks[0].score + history[slug] for slug, chunks in by_article.items()}
        weight = self.params.title_weight * title_agreement(self.index) if titled and self.params.title_weight else 0.0
        titles = title_parts(text, self.index.title_scores(query_vector), weight) if weight else {}
        hits = []
        for slug, chunks in by_article.items():
            title = titles.get(slug, 0.0)
            hits.append(ArticleHit(
                self.index.documents[slug], text[slug] + title,
                tuple(chunks[: self.params.chunks_per_article]), history[slug], title,
                tuple(s.key for s in support if s.slug == slug),
            ))
        hits.sort(key=lambda h: -h.score)
        return hits

    def _confidence(self, hits: list[ArticleHit], evidence: Evidence) -> float:
        p = self.params
        bias, w_top, w_margin = p.calibration
        margin = hits[0].text_score - hits[1].text_score if len(hits) > 1 else hits[0].text_score
        logit = bias + w_top * hits[0].text_score + w_margin * margin
        logit += p.evidence_weight * (evidence.score(p.coverage_weight) - p.evidence_floor)
        return 1.0 / (1.0 + math.exp(-logit))
