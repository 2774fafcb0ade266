"""Whether a message the intent model leans out of scope is something the desk's KB covers after all.

The desk's own approved articles say what is in scope (a desk with a room-booking article books rooms), so an
out-of-scope reading yields to the KB, but only to an article whose subject covers what is asked: one the
retriever is confident of AND that is close in meaning to the question (`Evidence.on_topic`, the raw cosine of
the question to the article against its embedder's floor). Confidence alone is not enough: it also rises with
shared words, so "book a meeting room in the new building" matched the Teams-rooms article ("Book the room in
Outlook" is its first step) although that article is about using a room's screen, not booking one.

An article the question names by its rare words in the article's title and tags (`ArticleHit.named_by_question`,
`assist/naming.py`; the best article or one scored near it, as the suggestions offer them) is specific evidence
too, whatever the cosine: a request for a project's sub-code names the article "Request a new project code or
sub-code" while the intent model, which has seen requests to book things as out of scope, reads it out of scope
with confidence. It outweighs the model's reading unless the model is sure (`SURE_OUT_OF_SCOPE`), a guard for
what the words cannot tell: a request to book a meeting room shares the meeting-room article's title words
"meeting" and "room" (common in the KB, so they do not name it on the demo KB) and the model reads it out of scope
at 0.9 and more.

The weighing, for a message whose most likely intent is out_of_scope:
- read so with confidence: out of scope unless the KB covers it, or names its article and the model is not sure;
- read so below the model's threshold (it abstained): a KB question as before, unless the KB's match is
  confident on shared words only (confident, neither on topic nor named): then out of scope ("translate this
  contract" → an offboarding article about contracts). A weak match still goes the KB's way, which asks or offers
  a ticket.

A message that sets a scene before it asks ("first day at a new site, how do I ...?") is read as a whole, and
the scene's words (places, travel, the office) lean it out of scope although the question after it is the desk's.
So a message of several clauses that leans out of scope with confidence is read clause by clause too: when the
model is sure (`SURE_DESK_QUESTION`) that one clause is a question for the KB, the whole is weighed as if the model
had abstained, and only a confident match on shared words keeps it out of scope. A reset or unlock clause does not
count: "my private mail was hacked, how do I reset the password?" is still not the desk's.

The question is searched in the requester's language (the multilingual index for other languages), as its
answer would be.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from deskpilot.assist.dialogue import RetrievalQuery
from deskpilot.assist.retrieval import HybridRetriever, SearchResult
from deskpilot.conversations import answering, phrases, suggestions
from deskpilot.conversations.intents import Intent, IntentModel, IntentReading
from deskpilot.ml.embeddings import Vectors

if TYPE_CHECKING:
    from deskpilot.conversations.flow import Assistant

CANDIDATES = 3
# The intent model's threshold keeps its accepted readings 90% precise (`intents.py`); an out-of-scope reading at
# least that sure is not outweighed by an article's title words (docs/benchmarks.md, "Issue 14, evidence").
SURE_OUT_OF_SCOPE = 0.9
# The same bar for a clause read as a KB question: only then does it outweigh the whole message's reading.
SURE_DESK_QUESTION = 0.9


def leans_out_of_scope(reading: IntentReading) -> bool:
    """Whether out_of_scope is the model's most likely intent (acted on or not): only then is the KB asked."""
    return reading.predicted is Intent.OUT_OF_SCOPE and reading.intent in (Intent.OUT_OF_SCOPE, Intent.KB_QUESTION)


def covers(result: SearchResult, abstain_below: float) -> bool:
    """Whether the KB's best article answers the question: confidently, and close in meaning to it."""
    return result.confidence >= abstain_below and result.evidence is not None and result.evidence.on_topic


def names_article(result: SearchResult) -> bool:
    """Whether the question names, by the rare words of its title and tags, one of the articles scored near the
    KB's best (`suggestions.close_hits`): the articles the chat would offer, so the same evidence as the
    suggestions' ("can i put my personal phone on the wifi" names the guest Wi-Fi article, close behind the
    VPN-on-mobile article that "phone" ranks first)."""
    return any(hit.named_by_question for hit in suggestions.close_hits(result))


def matches_on_words_only(result: SearchResult, abstain_below: float) -> bool:
    """A confident match whose article is neither close in meaning to the question nor named by it: shared words,
    another subject."""
    on_topic = result.evidence is not None and result.evidence.on_topic
    return result.confidence >= abstain_below and not on_topic and not names_article(result)


def clauses(text: str) -> list[str]:
    """The message's clauses, when it has more than one (a message of one clause was read whole already)."""
    parts = phrases.clauses(text)
    return parts if len(parts) > 1 else []


def asks_the_kb_in_part(model: IntentModel, reading: IntentReading, text: str) -> bool:
    """Whether one clause of a message read out of scope with confidence is surely a question for the KB."""
    parts = clauses(text) if not reading.abstained else []
    return any(part.intent is Intent.KB_QUESTION and part.confidence >= SURE_DESK_QUESTION
               for part in (model.read_all(parts) if parts else []))


def weighed(reading: IntentReading, result: SearchResult, abstain_below: float, *,
            kb_question_in_part: bool = False) -> IntentReading:
    """The reading acted on once the KB was asked (see the module's docstring): out_of_scope or a KB question."""
    if reading.abstained or kb_question_in_part:
        out = matches_on_words_only(result, abstain_below)
    else:
        named = names_article(result) and reading.confidence < SURE_OUT_OF_SCOPE
        out = not (covers(result, abstain_below) or named)
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
    return weighed(reading, result, assistant.settings.answer_abstain_below,
                   kb_question_in_part=asks_the_kb_in_part(assistant.intents, reading, text))

