"""/api/v1/assist: grounded answers from the approved knowledge base; /api/v1/kb/gaps: what to write next."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from sqlalchemy.orm import Session

from deskpilot import runtime
from deskpilot.api.deps import CurrentPrincipal, SessionDep, SettingsDep
from deskpilot.assist.index_store import KbIndex
from deskpilot.assist.verifier import Rephraser
from deskpilot.conversations import flow
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
from deskpilot.runtime import AiRuntime

router = APIRouter(tags=["assist"])


def ai_runtime(request: Request) -> AiRuntime:
    """The app's AI runtime, built once by the app factory."""
    runtime: AiRuntime = request.app.state.runtime
    return runtime


def kb_index(request: Request, session: SessionDep) -> KbIndex:
    """The process's KB index, synced to the approved versions this request's session sees."""
    return ai_runtime(request).kb.current(session)


def refresh_index(app: FastAPI) -> None:
    """Sync the index now (run after a request that approved or retired articles has committed)."""
    with unit_of_work(app.state.session_factory) as session:
        app.state.runtime.kb.current(session)


def _rephraser(request: Request) -> Rephraser | None:
    return ai_runtime(request).rephraser


def chat_assistant(request: Request, session: Session) -> flow.Assistant:
    """The chat assistant for this turn (API and pages); the index is synced inside the turn's transaction."""
    return runtime.chat_assistant(ai_runtime(request), session)


IndexDep = Annotated[KbIndex, Depends(kb_index)]
RephraserDep = Annotated[Rephraser | None, Depends(_rephraser)]
RuntimeDep = Annotated[AiRuntime, Depends(ai_runtime)]


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
def list_gaps(session: SessionDep, actor: CurrentPrincipal, ai: RuntimeDep,
              limit: Annotated[int, Query(ge=1, le=2000)] = 500) -> list[KbGapCluster]:
    """Questions the assistant could not answer, grouped by similarity: the articles to write next."""
    clusters = gap_clusters(session, actor=actor, embedder=ai.embedder, limit=limit)
    return [KbGapCluster(label=c.gap.representative, size=c.gap.count,
                         questions=[KbGapRead.model_validate(q) for q in c.questions]) for c in clusters]
