"""The scope check: a message the intent model leans out of scope yields to the KB only when an article covers
it (confident and close in meaning); a confident match on shared words alone is not covering. Pure: the intent
readings and search results are built here."""

from __future__ import annotations

import numpy as np
import pytest

from deskpilot.assist.index_store import KbDocument
from deskpilot.assist.retrieval import ArticleHit, Evidence, SearchResult
from deskpilot.conversations import routing, scope
from deskpilot.conversations.intents import Intent, IntentReading

ABSTAIN_BELOW = 0.5
FLOOR = 0.53


def _reading(predicted: Intent, *, abstained: bool = False, acted: Intent | None = None,
             confidence: float | None = None) -> IntentReading:
    intent = acted or (Intent.KB_QUESTION if abstained else predicted)
    sure = 0.3 if abstained else 0.9
    return IntentReading(intent=intent, predicted=predicted, confidence=sure if confidence is None else confidence,
                         abstained=abstained)


def _found(confidence: float, cosine: float | None, *, named: float = 0.0) -> SearchResult:
    evidence = None if cosine is None else Evidence(cosine=cosine, coverage=0.5, floor=FLOOR)
    hit = ArticleHit(KbDocument(slug="project-code-request", version=1, title="", text=""), 9.0, (), named=named)
    return SearchResult([hit], confidence, np.zeros(4, dtype=np.float32), evidence)


@pytest.mark.parametrize(("confidence", "cosine", "covered"), [
    (0.9, 0.8, True),     # confident and on topic: the article is about what is asked
    (0.9, 0.45, False),   # confident on shared words, another subject ("book a room" → the Teams-rooms article)
    (0.3, 0.8, False),    # on topic but not confident enough to answer
    (0.9, None, False),   # nothing found
])
def test_the_kb_covers_a_question_only_with_a_confident_article_close_in_meaning(
        confidence: float, cosine: float | None, covered: bool) -> None:
    assert scope.covers(_found(confidence, cosine), ABSTAIN_BELOW) is covered


def test_a_confident_out_of_scope_reading_stands_unless_an_article_covers_the_question() -> None:
    sure = _reading(Intent.OUT_OF_SCOPE)
    assert scope.weighed(sure, _found(0.9, 0.45), ABSTAIN_BELOW).intent is Intent.OUT_OF_SCOPE
    assert scope.weighed(sure, _found(0.3, 0.3), ABSTAIN_BELOW).intent is Intent.OUT_OF_SCOPE
    covered = scope.weighed(sure, _found(0.8, 0.88), ABSTAIN_BELOW)
    assert covered.intent is Intent.KB_QUESTION and covered.predicted is Intent.OUT_OF_SCOPE
    assert covered.confidence == sure.confidence


def test_an_unsure_out_of_scope_lean_is_out_of_scope_only_against_a_match_on_words_alone() -> None:
    unsure = _reading(Intent.OUT_OF_SCOPE, abstained=True)
    assert scope.weighed(unsure, _found(0.72, 0.22), ABSTAIN_BELOW).intent is Intent.OUT_OF_SCOPE
    # A weak match still goes the KB's way, which asks for details, walks steps or offers a ticket.
    assert scope.weighed(unsure, _found(0.44, 0.5), ABSTAIN_BELOW).intent is Intent.KB_QUESTION
    assert scope.weighed(unsure, _found(0.9, 0.8), ABSTAIN_BELOW).intent is Intent.KB_QUESTION


def test_an_article_the_question_names_outweighs_an_out_of_scope_reading_unless_the_model_is_sure() -> None:
    named = _found(0.38, 0.4, named=2.8)
    assert scope.weighed(_reading(Intent.OUT_OF_SCOPE, confidence=0.7), named, ABSTAIN_BELOW).intent \
        is Intent.KB_QUESTION
    # "book a meeting room" names the meeting-room article's title words, and the model is sure it is no IT request.
    assert scope.weighed(_reading(Intent.OUT_OF_SCOPE, confidence=0.97), named, ABSTAIN_BELOW).intent \
        is Intent.OUT_OF_SCOPE
    # One shared title word does not name an article.
    assert scope.weighed(_reading(Intent.OUT_OF_SCOPE, confidence=0.7), _found(0.38, 0.4, named=1.0),
                         ABSTAIN_BELOW).intent is Intent.OUT_OF_SCOPE


def _ranked(*hits: tuple[str, float, float], confidence: float = 0.12, cosine: float = 0.42) -> SearchResult:
    """A search whose hits are (slug, score, named) in rank order."""
    found = [ArticleHit(KbDocument(slug=slug, version=1, title="", text=""), score, (), named=named)
             for slug, score, named in hits]
    return SearchResult(found, confidence, np.zeros(4, dtype=np.float32),
                        Evidence(cosine=cosine, coverage=0.5, floor=FLOOR))


def test_an_article_the_question_names_counts_when_it_is_among_the_close_ones_not_only_first() -> None:
    """"can i put my personal phone on the wifi": the VPN-on-mobile article ranks first on "phone", the guest Wi-Fi
    article the question names ("... for personal devices", tagged wifi) is close behind: the article the
    suggestions would list (`suggestions.close_hits`), so it outweighs an unsure out-of-scope reading."""
    leaning = _reading(Intent.OUT_OF_SCOPE, confidence=0.63)
    close = _ranked(("vpn-mobile-devices", 7.1, 0.3), ("wifi-guest-access", 6.4, 1.5))
    assert scope.weighed(leaning, close, ABSTAIN_BELOW).intent is Intent.KB_QUESTION
    # Named but far behind the first article: not one the chat would offer, so no evidence of scope.
    far = _ranked(("vpn-mobile-devices", 9.1, 0.3), ("wifi-guest-access", 6.4, 1.5))
    assert scope.weighed(leaning, far, ABSTAIN_BELOW).intent is Intent.OUT_OF_SCOPE


def test_a_confident_match_on_an_article_the_question_names_is_not_a_match_on_words_alone() -> None:
    unsure = _reading(Intent.OUT_OF_SCOPE, abstained=True)
    assert scope.weighed(unsure, _found(0.72, 0.22, named=2.8), ABSTAIN_BELOW).intent is Intent.KB_QUESTION


@pytest.mark.parametrize("reading", [
    _reading(Intent.KB_QUESTION), _reading(Intent.GREETING), _reading(Intent.HANDOFF, abstained=True),
    _reading(Intent.OUT_OF_SCOPE, acted=Intent.HANDOFF),  # "call me back" overrode the model: stays a hand-off
])
def test_only_a_lean_out_of_scope_asks_the_kb(reading: IntentReading) -> None:
    assert not scope.leans_out_of_scope(reading)


def test_a_lean_out_of_scope_asks_the_kb_whether_the_model_was_sure_or_not() -> None:
    assert scope.leans_out_of_scope(_reading(Intent.OUT_OF_SCOPE))
    assert scope.leans_out_of_scope(_reading(Intent.OUT_OF_SCOPE, abstained=True))


@pytest.mark.parametrize(("reading", "may"), [
    (None, True),                                              # a new question mid-conversation: triage decides
    (_reading(Intent.PASSWORD_RESET), True), (_reading(Intent.ACCOUNT_UNLOCK), True),
    (_reading(Intent.KB_QUESTION, abstained=True), True),      # the model is unsure: triage and nearness decide
    (_reading(Intent.KB_QUESTION), False),                     # "I can't log in to Workday": the app's access
])
def test_the_reset_is_offered_unless_the_intent_model_read_something_else_with_confidence(
        reading: IntentReading | None, may: bool) -> None:
    assert routing.may_offer_self_service(reading) is may


@pytest.mark.parametrize(("text", "parts"), [
    ("on a business trip in Oslo, how do I print?", ["on a business trip in Oslo", "how do I print"]),
    ("Outlook 2.0 fails. 1,5 GB left!", ["Outlook 2.0 fails", "1,5 GB left"]),  # no clause inside a number
    ("打印机不能用，怎么办？", ["打印机不能用", "怎么办"]),
    ("what's the weather like?", []),  # one clause: the whole message's reading is its reading
])
def test_a_message_is_cut_into_clauses_at_punctuation_followed_by_a_space(text: str, parts: list[str]) -> None:
    assert scope.clauses(text) == parts


def test_a_clause_surely_asking_the_kb_has_the_message_weighed_as_if_the_model_had_abstained() -> None:
    sure = _reading(Intent.OUT_OF_SCOPE, confidence=0.95)
    weak = _found(0.18, 0.44)
    assert scope.weighed(sure, weak, ABSTAIN_BELOW).intent is Intent.OUT_OF_SCOPE
    assert scope.weighed(sure, weak, ABSTAIN_BELOW, kb_question_in_part=True).intent is Intent.KB_QUESTION
    # A confident match on shared words alone still keeps it out of scope.
    assert scope.weighed(sure, _found(0.72, 0.22), ABSTAIN_BELOW, kb_question_in_part=True).intent \
        is Intent.OUT_OF_SCOPE
