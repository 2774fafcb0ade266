"""Whether a message the intent model leans out of scope is something the desk's KB covers after all.

The desk's own approved articles say what is in scope (a desk with a room-booking article books rooms), so an
out-of-scope reading yields to the KB, but only to an article whose subject covers what is asked: one the
retriever is confident of AND that is close in meaning to the question (`Evidence.on_topic`, the raw cosine of
the question to the article against its embedder's floor). Confidence alone is not enough: it also rises with
shared words, so "book a meeting room in the new building" matched the Teams-rooms article ("Book the room in
Outlook" is its first step) although that article is about using a room's screen, not booking one.

The weighing, for a message whose most likely intent is out_of_scope:
- read so with confidence: out of scope unless the KB covers it;
- read so below the model's threshold (it abstained): a KB question as before, unless the KB's match is
  confident on shared words only (confident, not on topic): then out of scope ("translate this contract" →
  an offboarding article about contracts). A weak match still goes the KB's way, which asks or offers a ticket.

The question is searched in the requester's language (the multilingual index for other languages), as its
answer would be.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from deskpilot.assist.dialogue import RetrievalQuery
from deskpilot.assist.retrieval import HybridRetriever, SearchResult
from deskpilot.conversations import answering
from deskpilot.conversations.intents import Intent, IntentReading
from deskpilot.ml.embeddings import Vectors

if TYPE_CHECKING:
    from deskpilot.conversations.flow import Assistant

CANDIDATES = 3


def leans_out_of_scope(reading: IntentReading) -> bool:
    """Whether out_of_scope is the model's most likely intent (acted on or not): only then is the KB asked."""
    return reading.predicted is Intent.OUT_OF_SCOPE and reading.intent in (Intent.OUT_OF_SCOPE, Intent.KB_QUESTION)


def covers(result: SearchResult, abstain_below: float) -> bool:
    """Whether the KB's best article answers the question: confidently, and close in meaning to it."""
    return result.confidence >= abstain_below and result.evidence is not None and result.evidence.on_topic


def matches_on_words_only(result: SearchResult, abstain_below: float) -> bool:
    """A confident match whose article is not close in meaning to the question: shared words, another subject."""
    return result.confidence >= abstain_below and (result.evidence is None or not result.evidence.on_topic)


def weighed(reading: IntentReading, result: SearchResult, abstain_below: float) -> IntentReading:
    """The reading acted on once the KB was asked (see the module's docstring): out_of_scope or a KB question."""
    out = matches_on_words_only(result, abstain_below) if reading.abstained else not covers(result, abstain_below)
    return replace(reading, intent=Intent.OUT_OF_SCOPE if out else Intent.KB_QUESTION)


def check(assistant: Assistant, reading: IntentReading, text: str, vector: Vectors, language: str) -> IntentReading:
    """`reading`, weighed against the KB when it leans out of scope; as it is otherwise (nothing searched)."""
    if not leans_out_of_scope(reading):
        return reading
    index = answering.search_index(assistant.index, language)
    # The message's vector is the English embedder's: the multilingual index embeds the question itself.
    given = vector if index is assistant.index else None
    result = HybridRetriever(index).search(RetrievalQuery.from_dialogue(text, ""), k=CANDIDATES,
                                           utterance_vector=given)
    return weighed(reading, result, assistant.settings.answer_abstain_below)

