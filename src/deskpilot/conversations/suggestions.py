"""Weak but present evidence: when no article answers a question with confidence and none has steps worth
walking, the closest articles are offered as what they are, uncertain suggestions ("I am not sure; these are the
closest, the most likely first: A, B. Did one of them solve it?"), with a ticket and a person one step away,
instead of "I found no approved article".

Present means close in meaning: the question's cosine to the top article reaches the embedder's
`suggestion_floor` (`ml/tuning.py`), a little below the evidence floor that makes an article on topic, or one of
the articles shown is named by the question's rare words in its title and tags (`assist/naming.py`: a question
about a personal device on the wifi names the guest Wi-Fi article, "... for personal devices", tagged wifi, that
the ranking puts third). Words shared with an article's text alone never qualify, so a question outside the
desk's domain still gets no article. Only the articles scored near the top one are shown (`SCORE_MARGIN` on the
fused score without the title's part, at most `MAX_SUGGESTED`): a clear winner is shown alone.

Competing articles are offered the same way when the evidence is enough to walk an article's steps but two or more
articles are this close (`rivals`): which one fits is the requester's to say, not a hair's breadth of score. So are
the first articles of a confident answer when they tie (`tied`).

The reply is an answer for the state machine (awaiting confirmation, the most likely article as the answer's):
yes closes the conversation as solved, no walks the steps of the first suggested article that has steps or offers
a ticket (`flow._after_answer`),
and "open a ticket" or "talk to a human" work as after any answer.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.assist.index_store import KbDocument
from deskpilot.assist.retrieval import ArticleHit, SearchResult
from deskpilot.conversations import phrases, service, troubleshoot
from deskpilot.conversations.models import Conversation
from deskpilot.conversations.state import Author, ConversationEvent, Speaker

ASSISTANT = Speaker(Author.ASSISTANT)
MAX_SUGGESTED = 3
# On the fused score (a sum of weighted z-scores): the candidates of a weak match are often this close
# ("lost my work phone": 6.90, 6.68, 6.29); a clear winner leads by more (10.99 against 6.42).
SCORE_MARGIN = 1.0


# On the ranked score: first articles this close are a tie that another machine's float arithmetic can turn either
# way (the Okta enrolment and new-phone articles for "¿Cómo configuro Okta Verify?": 6.142 against 6.129 on one
# machine, the other way round on another), two orders of magnitude under `SCORE_MARGIN`.
TIE_MARGIN = 0.05


def _near_best(result: SearchResult, margin: float, score: Callable[[ArticleHit], float]) -> list[ArticleHit]:
    """Of the first `MAX_SUGGESTED` hits, those whose `score` is within `margin` of the best one's."""
    best = max((score(hit) for hit in result.hits), default=0.0)
    return [hit for hit in result.hits[:MAX_SUGGESTED] if best - score(hit) <= margin]


def _choice(hits: list[ArticleHit]) -> list[KbDocument]:
    """The articles of `hits` when there are two or more to choose from; none otherwise."""
    return [hit.document for hit in hits] if len(hits) >= 2 else []


def close_hits(result: SearchResult) -> list[ArticleHit]:
    """The articles scored near the top one on the text (`SCORE_MARGIN`, at most `MAX_SUGGESTED`): those the chat
    would offer for an unclear match."""
    return _near_best(result, SCORE_MARGIN, lambda hit: hit.text_score)


def closest_articles(result: SearchResult, suggestion_floor: float) -> list[KbDocument]:
    """The articles worth suggesting for a question no article answers confidently, the most likely first; none
    when the top article is not close enough in meaning to the question."""
    evidence = result.evidence
    if not result.hits or evidence is None:
        return []
    close = close_hits(result)
    if evidence.cosine < suggestion_floor and not any(hit.named_by_question for hit in close):
        return []
    return [hit.document for hit in close]


def rivals(result: SearchResult) -> list[KbDocument]:
    """The close articles when at least two compete for a question no article answers confidently: the requester
    chooses among them rather than walking the steps of the one ranked first by a hair ("wifi password for
    guests" between the guest and the roaming Wi-Fi articles). None when one article leads clearly."""
    return _choice(close_hits(result))


def tied(result: SearchResult) -> list[KbDocument]:
    """The first articles when two or more tie on the ranked score (within `TIE_MARGIN`): even a confident answer
    would come from one of them by a coin toss, so the requester chooses. None when the first one leads."""
    return _choice(_near_best(result, TIE_MARGIN, lambda hit: hit.score))


def suggest(session: Session, conversation: Conversation, actor: Principal, documents: list[KbDocument], *,
            decision_id: int, confidence: float) -> None:
    """Offer `documents` as uncertain suggestions, each cited, and ask whether one of them solved it."""
    spoken = troubleshoot.language(conversation)
    citations = [troubleshoot.citation(d.slug, d.version, d.title) for d in documents]
    listed = "\n".join(f"{n}. {d.title} {c['citation']}" for n, (d, c) in enumerate(zip(documents, citations,
                                                                                         strict=True), 1))
    body = (f"{phrases.phrase('closest_articles', spoken)}\n{listed}\n\n"
            f"{phrases.phrase('closest_confirm', spoken)}")
    service.say(session, conversation, ASSISTANT, body, citations=citations, confidence=confidence,
                decision_id=decision_id)
    conversation.facts = conversation.facts | {"answer_decision_id": decision_id, "answer_slug": documents[0].slug,
                                               "answer_citations": [c["citation"] for c in citations],
                                               "suggested": [d.slug for d in documents]}
    service.transition(session, conversation, ConversationEvent.ANSWERED, actor=actor)
