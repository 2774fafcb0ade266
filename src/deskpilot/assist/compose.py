"""Grounded, extractive answers: the span of the top articles that answers the question, each sentence cited.

A trained scorer (`span_scorer`) ranks candidate spans (`spans`: sentences, sentence pairs, whole runs
of numbered steps) of the top three articles, so it also reranks the articles; a "how do I" question
whose best span is a step gets the whole procedure. The answer carries the calibrated probability that
it is right and the decision it leads to (answer, answer with a caution, hand over).

Nothing is invented: every sentence of an answer is copied from an indexed chunk and carries the
citation `[slug vN]` of the article version it came from. Below the confidence threshold the
assistant abstains and hands over to a person. An optional LLM may rephrase the selected evidence;
its output is shown only when the verifier finds every kept sentence supported by its source.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from deskpilot.assist.chunking import Chunk
from deskpilot.assist.dialogue import RetrievalQuery
from deskpilot.assist.grounded import STEP, CitedSentence, GroundedAnswer, render
from deskpilot.assist.retrieval import HybridRetriever, SearchResult
from deskpilot.assist.span_scorer import SHIPPED_FOR, SpanScorer, decide
from deskpilot.assist.spans import HOW_TO, CandidateSpan, UnitVectors, candidate_spans, span_features, whole_procedure
from deskpilot.assist.verifier import Rephraser, verified_rephrasing

HANDOFF_MESSAGE = (
    "I could not find a reliable answer in the knowledge base, so I am handing this over to a member "
    "of the service desk, who will follow up with you."
)
AI_ASSISTED_LABEL = "AI-assisted draft: check it before sending."
RERANK_ARTICLES = 3


@dataclass(frozen=True)
class AgentDraft:
    """A reply an agent can edit and send; always labelled as AI-assisted."""

    text: str
    answer: GroundedAnswer
    label: str = AI_ASSISTED_LABEL


class AnswerComposer:
    """Retrieves, picks the span that answers the question with the trained scorer, cites it, or abstains."""

    def __init__(
        self,
        retriever: HybridRetriever,
        *,
        abstain_below: float,
        rephraser: Rephraser | None = None,
        scorer: SpanScorer | None = None,
        confident_above: float | None = None,
        unit_vectors: UnitVectors | None = None,
        rerank: bool = False,
    ) -> None:
        self.retriever = retriever
        self.abstain_below = abstain_below
        self.rephraser = rephraser
        self.scorer = scorer or shipped_scorer()
        self.confident_above = confident_above if confident_above is not None else self.scorer.confident_above
        self.unit_vectors = unit_vectors or UnitVectors(retriever.index.embedder, capacity=2_000)
        # Off: spans of the first article only; on: of the first three, so the scorer also reranks them.
        self.articles = RERANK_ARTICLES if rerank else 1

    def answer(self, query: RetrievalQuery) -> GroundedAnswer:
        """A grounded answer to a (dialogue) question, or an abstention with a hand-off message."""
        return self.compose(query, self.retriever.search(query, k=3))

    def compose(self, query: RetrievalQuery, result: SearchResult) -> GroundedAnswer:
        """The answer for an already computed search result (so callers can record both)."""
        if not result.hits or result.confidence < self.abstain_below:
            return GroundedAnswer((), result.confidence, True, HANDOFF_MESSAGE)
        choice = self.choose_span(query, result)
        if choice is None:
            return GroundedAnswer((), result.confidence, True, HANDOFF_MESSAGE)
        span, probability = choice
        sentences = tuple(_cite(span.chunk, text) for text in span.texts)
        decision = decide(abstained=False, probability=probability, confident_above=self.confident_above)
        extractive = GroundedAnswer(sentences, result.confidence, False, render(sentences),
                                    answer_probability=probability, decision=decision)
        if self.rephraser is None:
            return extractive
        return verified_rephrasing(query.text, extractive, self.rephraser, self.retriever.index.embedder)

    def choose_span(self, query: RetrievalQuery, result: SearchResult) -> tuple[CandidateSpan, float] | None:
        """The best-scored candidate span and the calibrated probability that it answers the question."""
        spans, scores = self.scored_spans(query, result)
        if not spans:
            return None
        order = np.argsort(-scores)
        best = spans[int(order[0])]
        runner_up = float(scores[order[1]]) if len(order) > 1 else 0.0
        probability = self.scorer.answer_probability(float(scores[order[0]]), runner_up, result.confidence,
                                                     best.rank)
        if HOW_TO.search(query.text) and any(STEP.match(t) for t in best.texts):
            best = whole_procedure(best)
        return best, probability

    def scored_spans(self, query: RetrievalQuery, result: SearchResult
                     ) -> tuple[list[CandidateSpan], npt.NDArray[np.float64]]:
        """The candidate spans of the top articles and the scorer's probability for each."""
        spans = candidate_spans(result, articles=self.articles)
        if not spans:
            return [], np.zeros(0)
        return spans, self.scorer.span.probability(span_features(query, result, spans, self.unit_vectors))

    def reranked(self, query: RetrievalQuery, result: SearchResult) -> list[str]:
        """Article slugs ordered by their best span's score; articles beyond the scored ones keep their order."""
        spans, scores = self.scored_spans(query, result)
        best: dict[str, float] = {}
        for span, score in zip(spans, scores, strict=True):
            slug = result.hits[span.rank].slug
            best[slug] = max(best.get(slug, 0.0), float(score))
        scored = sorted(best, key=lambda slug: -best[slug])
        return scored + [h.slug for h in result.hits if h.slug not in best]


@cache
def shipped_scorer(embedder_model_id: str = SHIPPED_FOR) -> SpanScorer:
    """The span scorer shipped with the package for features made by `embedder_model_id`, read once per
    process (it is immutable). The runtime asks for its configured embedder, so a desk whose embedder is not
    the scorer's is refused at start-up; composers use it on the cross-lingual view too, as it was measured."""
    return SpanScorer.load(embedder_model_id=embedder_model_id)


def _cite(chunk: Chunk, text: str) -> CitedSentence:
    return CitedSentence(text=text, slug=chunk.slug, version=chunk.version, chunk_id=chunk.chunk_id)


def draft_reply(thread_text: str, composer: AnswerComposer, *, context: str = "") -> AgentDraft:
    """A reply draft for an agent from the same grounded composer; citations are kept."""
    return agent_draft(composer.answer(RetrievalQuery.from_dialogue(thread_text, context)))


def agent_draft(answer: GroundedAnswer) -> AgentDraft:
    """The reply an agent is offered for a grounded answer (or, when it abstained, the advice to write one)."""
    if answer.abstained:
        body = "No approved knowledge-base article covers this request well enough; please answer it yourself."
    else:
        body = f"Hello,\n\n{answer.text}\n\nBest regards"
    return AgentDraft(text=f"{body}\n\n[{AI_ASSISTED_LABEL}]", answer=answer)
