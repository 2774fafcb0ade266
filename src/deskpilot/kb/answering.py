"""Answering a question from the approved knowledge base, and remembering what could not be answered.

The composer (assist) retrieves and cites; this use case adds what the knowledge base guarantees:
the index is synced to the approved versions first, every cited (slug, version) is checked against
the database once more so nothing but an approved version can ever be shown, the decision is recorded
for audit and replay (with the retrieval evidence for the top article: BM25, dense and history parts of
its score and the past questions that voted for it), and an abstention is stored PII-redacted as a gap
question.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.assist.compose import HANDOFF_MESSAGE, AnswerComposer
from deskpilot.assist.dialogue import RetrievalQuery
from deskpilot.assist.gaps import KnowledgeGap, cluster_gaps
from deskpilot.assist.grounded import GroundedAnswer, render
from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.assist.retrieval import HybridRetriever, SearchResult
from deskpilot.assist.spans import shared_unit_vectors
from deskpilot.assist.verifier import Rephraser
from deskpilot.audit.decisions import record_decision
from deskpilot.audit.enums import DecisionKind
from deskpilot.clock import utcnow
from deskpilot.kb.access import require_unpublished
from deskpilot.kb.models import KbGapQuestion
from deskpilot.kb.service import approved_versions
from deskpilot.ml.embeddings import Embedder, Vectors
from deskpilot.triage.pii import redact_pii

log = logging.getLogger(__name__)
NEAR_MISSES = 3


@dataclass(frozen=True)
class AnswerOutcome:
    answer: GroundedAnswer
    sources: list[KbDocument]
    decision_id: int
    gap_id: int | None
    search: SearchResult


def only_approved(answer: GroundedAnswer, approved: dict[str, int]) -> GroundedAnswer:
    """Drop any sentence whose article version is not the approved one (defence in depth)."""
    kept = tuple(s for s in answer.sentences if approved.get(s.slug) == s.version)
    if len(kept) == len(answer.sentences):
        return answer
    log.warning("dropped %d sentence(s) citing unapproved versions", len(answer.sentences) - len(kept))
    if not kept:
        return GroundedAnswer((), answer.confidence, True, HANDOFF_MESSAGE)
    return replace(answer, sentences=kept, text=render(kept))


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 4)


def _near_misses(result: SearchResult) -> list[dict[str, object]]:
    return [{"slug": h.slug, "version": h.document.version, "score": round(h.score, 4)}
            for h in result.hits[:NEAR_MISSES]]


def answer_question(session: Session, *, actor: Principal, index: KbIndex, question: str, context: str = "",
                    abstain_below: float, rephraser: Rephraser | None = None,
                    question_vector: Vectors | None = None, confident_above: float | None = None,
                    rerank: bool = False, language: str | None = None) -> AnswerOutcome:
    """A grounded answer whose every sentence cites an approved version, or an abstention stored as a gap.

    `index` must already be synced (see `indexing.IndexHolder.current`). Pass `question_vector` when the
    caller already embedded the (stripped) question with `index.embedder`; the search it ran comes back with
    the outcome. `confident_above` (default: the span scorer's cross-validated threshold) splits answering
    outright from answering with a caution (`answer.decision`); `rerank` lets the answer come from the first
    three articles. With the requester's `language`, the answer comes from the article in that language when
    the KB has a translation, else from the original (see `KbIndex.articles_for_language`).
    """
    retriever = HybridRetriever(index)
    composer = AnswerComposer(retriever, abstain_below=abstain_below, rephraser=rephraser,
                              confident_above=confident_above, rerank=rerank,
                              unit_vectors=shared_unit_vectors(index.embedder))
    query = RetrievalQuery.from_dialogue(question, context)
    result = retriever.search(query, k=3, utterance_vector=question_vector, language=language)
    answer = only_approved(composer.compose(query, result), approved_versions(session))
    redacted = redact_pii(question).text
    cited = list(dict.fromkeys(s.slug for s in answer.sentences))
    decision = record_decision(
        session, kind=DecisionKind.ANSWER, model_version=f"kb-hybrid/{index.embedder.model_id}",
        input_redacted=redacted, outputs={"text": answer.text, "citations": list(answer.citations),
                                          "rephrased": answer.rephrased, "decision": answer.decision.value,
                                          "answer_probability": _finite(answer.answer_probability)},
        confidence=answer.confidence, abstained=answer.abstained,
        sources=[{"slug": s, "version": index.documents[s].version} for s in cited],
        explanation={"candidates": _near_misses(result), "evidence": result.explanation()})
    gap_id = None
    if answer.abstained:
        gap = KbGapQuestion(question=redacted, confidence=answer.confidence, near_misses=_near_misses(result),
                            asked_by_id=actor.user_id, asked_at=utcnow())
        session.add(gap)
        session.flush()
        gap_id = gap.id
    return AnswerOutcome(answer=answer, sources=[index.documents[s] for s in cited], decision_id=decision.id,
                         gap_id=gap_id, search=result)


@dataclass(frozen=True)
class GapCluster:
    gap: KnowledgeGap
    questions: list[KbGapQuestion]


def gap_clusters(session: Session, *, actor: Principal, embedder: Embedder, limit: int = 500) -> list[GapCluster]:
    """The most recent unanswered questions grouped into "articles to write", biggest group first."""
    require_unpublished(actor)
    rows = list(session.scalars(select(KbGapQuestion).order_by(KbGapQuestion.asked_at.desc(),
                                                               KbGapQuestion.id.desc()).limit(limit)))
    by_text: dict[str, list[KbGapQuestion]] = {}
    for row in rows:
        by_text.setdefault(row.question.strip(), []).append(row)
    clusters = cluster_gaps([row.question for row in rows], embedder)
    result = []
    for gap in clusters:
        members = [row for text in dict.fromkeys(gap.questions) for row in by_text.get(text, [])]
        result.append(GapCluster(gap=gap, questions=members))
    return result
