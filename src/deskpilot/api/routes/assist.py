"""/api/v1/assist: grounded answers from the approved knowledge base; /api/v1/kb/gaps: what to write next."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query

from deskpilot.api.deps import CurrentPrincipal, IndexDep, RuntimeDep, SessionDep, SettingsInForce
from deskpilot.assist.verifier import Rephraser
from deskpilot.db import unit_of_work
from deskpilot.kb.answering import answer_question, gap_clusters
from deskpilot.kb.schemas import (
    AnswerRead,
    AnswerRequest,
    AnswerSentenceRead,
    AnswerSourceRead,
    KbGapCluster,
    KbGapRead,
)

router = APIRouter(tags=["assist"])


def refresh_index(app: FastAPI) -> None:
    """Sync the index now (run after a request that approved or retired articles has committed)."""
    with unit_of_work(app.state.session_factory) as session:
        app.state.runtime.kb.current(session)


def _rephraser(ai: RuntimeDep, settings: SettingsInForce) -> Rephraser | None:
    return ai.rephraser if settings.answer_rephrase else None


RephraserDep = Annotated[Rephraser | None, Depends(_rephraser)]


@router.post("/api/v1/assist/answer", operation_id="answer_question")
def answer(data: AnswerRequest, session: SessionDep, actor: CurrentPrincipal, index: IndexDep,
           settings: SettingsInForce, rephraser: RephraserDep) -> AnswerRead:
    """Answer from approved articles only, citing each sentence as `[slug vN]`, or abstain and hand over."""
    outcome = answer_question(session, actor=actor, index=index, question=data.question, context=data.context,
                              abstain_below=settings.answer_abstain_below, rephraser=rephraser,
                              confident_above=settings.answer_confident_above, rerank=settings.answer_rerank)
    result = outcome.answer
    probability = None if math.isnan(result.answer_probability) else result.answer_probability
    return AnswerRead(
        text=result.text, confidence=result.confidence, abstained=result.abstained, rephrased=result.rephrased,
        decision_id=outcome.decision_id, decision=result.decision, answer_probability=probability,
        sentences=[AnswerSentenceRead(text=s.text, citation=s.citation, slug=s.slug, version=s.version)
                   for s in result.sentences],
        sources=[AnswerSourceRead(citation=d.citation, slug=d.slug, version=d.version, title=d.title, url=d.url)
                 for d in outcome.sources])


@router.get("/api/v1/kb/gaps", operation_id="list_kb_gaps", tags=["knowledge base"])
def list_gaps(session: SessionDep, actor: CurrentPrincipal, ai: RuntimeDep,
              limit: Annotated[int, Query(ge=1, le=2000)] = 500) -> list[KbGapCluster]:
    """Questions the assistant could not answer, grouped by similarity: the articles to write next."""
    clusters = gap_clusters(session, actor=actor, embedder=ai.embedder, limit=limit)
    return [KbGapCluster(label=c.gap.representative, size=c.gap.count,
                         questions=[KbGapRead.model_validate(q) for q in c.questions]) for c in clusters]
