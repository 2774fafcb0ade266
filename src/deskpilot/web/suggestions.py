"""Help articles suggested while a requester types a new request (htmx asks as they type)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from deskpilot.api.deps import IndexDep
from deskpilot.assist.dialogue import RetrievalQuery
from deskpilot.assist.retrieval import HybridRetriever
from deskpilot.channels.webchat.chat_views import source_href
from deskpilot.web.templating import render
from deskpilot.web.viewer import ViewerDep

router = APIRouter(include_in_schema=False)
MIN_WORDS = 3
MIN_CONFIDENCE = 0.15
SHOWN = 3


@router.get("/tickets/new/suggestions")
def suggestions(request: Request, viewer: ViewerDep, index: IndexDep,
                subject: Annotated[str, Query(max_length=300)] = "",
                description: Annotated[str, Query(max_length=2000)] = "") -> Response:
    """Up to three approved articles that may answer what is typed so far; nothing for a few words."""
    text = f"{subject} {description}".strip()
    articles = []
    if len(text.split()) >= MIN_WORDS and len(index):
        result = HybridRetriever(index).search(RetrievalQuery.from_dialogue(text), k=SHOWN)
        if result.confidence >= MIN_CONFIDENCE:
            articles = [(hit.document.title, source_href(hit.slug, hit.document.version)) for hit in result.hits]
    return render(request, "chat/_suggestions.html", {"articles": articles}, viewer=viewer)
