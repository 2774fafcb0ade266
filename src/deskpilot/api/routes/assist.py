"""/api/v1/assist: grounded answers from the approved knowledge base; /api/v1/kb/gaps: what to write next."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from sqlalchemy.orm import Session

from deskpilot.api.deps import CurrentPrincipal, SessionDep, SettingsDep
from deskpilot.assist.index_store import KbIndex
from deskpilot.assist.verifier import LlmRephraser, Rephraser
from deskpilot.conversations import flow
from deskpilot.db import unit_of_work
from deskpilot.kb.answering import answer_question, gap_clusters
from deskpilot.kb.indexing import IndexHolder
from deskpilot.kb.schemas import (
    AnswerRead,
    AnswerRequest,
    AnswerSentenceRead,
    AnswerSourceRead,
    KbGapCluster,
    KbGapRead,
)
from deskpilot.ml.embeddings import default_embedder
from deskpilot.ml.llm_client import LlmClient

router = APIRouter(tags=["assist"])
_holder_lock = threading.Lock()


def _index_holder(app: FastAPI) -> IndexHolder:
    with _holder_lock:
        holder: IndexHolder | None = getattr(app.state, "kb_index_holder", None)
        if holder is None:
            holder = IndexHolder(app.state.settings.index_dir, default_embedder)
            app.state.kb_index_holder = holder
        return holder


def kb_index(request: Request, session: SessionDep) -> KbIndex:
    """The process's KB index, synced to the approved versions this request's session sees."""
    return _index_holder(request.app).current(session)


def refresh_index(app: FastAPI) -> None:
    """Sync the index now (run after a request that approved or retired articles has committed)."""
    with unit_of_work(app.state.session_factory) as session:
        _index_holder(app).current(session)


def _rephraser(request: Request) -> Rephraser | None:
    with _holder_lock:
        if not hasattr(request.app.state, "kb_rephraser"):
            client = LlmClient.from_settings(request.app.state.settings)
            request.app.state.kb_rephraser = LlmRephraser(client) if client else None
        rephraser: Rephraser | None = request.app.state.kb_rephraser
        return rephraser


def chat_assistant(request: Request, session: Session, rephraser: Rephraser | None) -> flow.Assistant:
    """The chat assistant for this turn (API and pages); the index is synced inside the turn's transaction."""
    return flow.Assistant(index=kb_index(request, session), settings=request.app.state.settings, rephraser=rephraser)


IndexDep = Annotated[KbIndex, Depends(kb_index)]
RephraserDep = Annotated[Rephraser | None, Depends(_rephraser)]


@router.post("/api/v1/assist/answer", operation_id="answer_question")
def answer(data: AnswerRequest, session: SessionDep, actor: CurrentPrincipal, index: IndexDep,
           settings: SettingsDep, rephraser: RephraserDep) -> AnswerRead:
    """Answer from approved articles only, citing each sentence as `[slug vN]`, or abstain and hand over."""
    outcome = answer_question(session, actor=actor, index=index, question=data.question, context=data.context,
                              abstain_below=settings.answer_abstain_below, rephraser=rephraser)
    result = outcome.answer
    return AnswerRead(
        text=result.text, confidence=result.confidence, abstained=result.abstained, rephrased=result.rephrased,
        decision_id=outcome.decision_id,
        sentences=[AnswerSentenceRead(text=s.text, citation=s.citation, slug=s.slug, version=s.version)
                   for s in result.sentences],
        sources=[AnswerSourceRead(citation=d.citation, slug=d.slug, version=d.version, title=d.title, url=d.url)
                 for d in outcome.sources])


@router.get("/api/v1/kb/gaps", operation_id="list_kb_gaps", tags=["knowledge base"])
def list_gaps(session: SessionDep, actor: CurrentPrincipal,
              limit: Annotated[int, Query(ge=1, le=2000)] = 500) -> list[KbGapCluster]:
    """Questions the assistant could not answer, grouped by similarity: the articles to write next."""
    clusters = gap_clusters(session, actor=actor, embedder=default_embedder(), limit=limit)
    return [KbGapCluster(label=c.gap.representative, size=c.gap.count,
                         questions=[KbGapRead.model_validate(q) for q in c.questions]) for c in clusters]
