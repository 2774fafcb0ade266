"""Grounded, extractive answers: sentences or numbered steps from the best article, each one cited.

Nothing is invented: every sentence of an answer is copied from an indexed chunk and carries the
citation `[slug vN]` of the article version it came from. Below the confidence threshold the
assistant abstains and hands over to a person. An optional LLM may rephrase the selected evidence;
its output is shown only when the verifier finds every kept sentence supported by its source.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from deskpilot.assist.chunking import Chunk, split_sentences
from deskpilot.assist.dialogue import RetrievalQuery
from deskpilot.assist.grounded import STEP, CitedSentence, GroundedAnswer, render
from deskpilot.assist.retrieval import HybridRetriever, SearchResult
from deskpilot.assist.verifier import Rephraser, verified_rephrasing
from deskpilot.ml.lexical_index import tokenize

HANDOFF_MESSAGE = (
    "I could not find a reliable answer in the knowledge base, so I am handing this over to a member "
    "of the service desk, who will follow up with you."
)
AI_ASSISTED_LABEL = "AI-assisted draft: check it before sending."


@dataclass(frozen=True)
class AgentDraft:
    """A reply an agent can edit and send; always labelled as AI-assisted."""

    text: str
    answer: GroundedAnswer
    label: str = AI_ASSISTED_LABEL


class AnswerComposer:
    """Retrieves, selects the evidence that addresses the question, cites it, or abstains."""

    def __init__(
        self,
        retriever: HybridRetriever,
        *,
        abstain_below: float,
        max_sentences: int = 2,
        rephraser: Rephraser | None = None,
    ) -> None:
        self.retriever = retriever
        self.abstain_below = abstain_below
        self.max_sentences = max_sentences
        self.rephraser = rephraser

    def answer(self, query: RetrievalQuery) -> GroundedAnswer:
        """A grounded answer to a (dialogue) question, or an abstention with a hand-off message."""
        return self.compose(query, self.retriever.search(query, k=3))

    def compose(self, query: RetrievalQuery, result: SearchResult) -> GroundedAnswer:
        """The answer for an already computed search result (so callers can record both)."""
        if not result.hits or result.confidence < self.abstain_below:
            return GroundedAnswer((), result.confidence, True, HANDOFF_MESSAGE)
        sentences = self.select_evidence(query, result)
        if not sentences:
            return GroundedAnswer((), result.confidence, True, HANDOFF_MESSAGE)
        extractive = GroundedAnswer(sentences, result.confidence, False, render(sentences))
        if self.rephraser is None:
            return extractive
        return verified_rephrasing(query.text, extractive, self.rephraser, self.retriever.index.embedder)

    def select_evidence(self, query: RetrievalQuery, result: SearchResult) -> tuple[CitedSentence, ...]:
        """The sentences (or the run of numbered steps) of the top article that best match the question."""
        top = result.hits[0]
        units = [(chunk.chunk, text) for chunk in top.chunks for text in split_sentences(chunk.chunk.text)]
        if not units:
            return ()
        scores = self._unit_scores(query, result, [text for _, text in units])
        best = int(np.argmax(scores))
        picked = self._steps_around(units, best) if STEP.match(units[best][1]) else [best]
        for index in np.argsort(-scores):
            if len(picked) >= self.max_sentences:
                break
            same_chunk = units[int(index)][0] is units[best][0]
            if int(index) not in picked and same_chunk and scores[index] >= 0.8 * scores[best]:
                picked.append(int(index))
        return tuple(_cite(units[i][0], units[i][1]) for i in sorted(picked))

    def _unit_scores(self, query: RetrievalQuery, result: SearchResult, texts: list[str]) -> npt.NDArray[np.float64]:
        vectors = self.retriever.index.embedder.encode(texts)
        semantic = vectors @ result.query_vector
        wanted = set(tokenize(query.text))
        if query.context:
            wanted |= set(tokenize(query.context[0].text))
        overlap = np.asarray([len(wanted & set(tokenize(t))) / (len(wanted) or 1) for t in texts])
        scores: npt.NDArray[np.float64] = semantic + overlap
        return scores

    @staticmethod
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
