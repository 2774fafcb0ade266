"""Lexicon sentiment and frustration."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskpilot.triage.sentiment import score_sentiment


@pytest.mark.parametrize(
    "text",
    [
        "This is the third time I report this and it is still not fixed!!!",
        "Your service is useless and ridiculous",
        "I am fed up with this, what a waste of time",
        "What the hell, the damn VPN again",
        "WHY IS THIS STILL BROKEN I NEED IT NOW",
        "I already reported this last week and nobody has responded",
        "Very frustrated.",
        "Great, thanks for nothing.",
        "Das ist schon wieder kaputt, unzumutbar!",
    ],
)
def test_frustrated_requesters_are_flagged_with_reasons(text: str) -> None:
    sentiment = score_sentiment(text)
    assert sentiment.frustrated
    assert sentiment.score < 0
    assert sentiment.reasons


@pytest.mark.parametrize(
    "text",
    [
        "Printer on floor 2 shows error 49.",
        "The VPN SSO MFA login fails since this morning",
        "Please install Visio on my laptop",
        "",
    ],
)
def test_plain_problem_reports_are_neutral(text: str) -> None:
    sentiment = score_sentiment(text)
    assert sentiment.score == 0.0
    assert not sentiment.frustrated
    assert sentiment.reasons == []


def test_thanks_is_positive() -> None:
    sentiment = score_sentiment("Thanks a lot, that works perfectly!")
    assert sentiment.score > 0.4
    assert not sentiment.frustrated


def test_negation_flips_and_dampens() -> None:
    assert score_sentiment("I am happy").score > 0 > score_sentiment("I am not happy").score
    assert score_sentiment("not happy").reasons == ["negative words: 'not happy'"]
    assert score_sentiment("I don't hate it").score > 0


def test_intensifiers_capitals_and_exclamations_amplify() -> None:
    plain = score_sentiment("this is annoying").score
    assert score_sentiment("this is really annoying").score < plain
    assert score_sentiment("this is ANNOYING").score < plain
    assert score_sentiment("this is annoying!!").score < plain


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_score_stays_in_range(text: str) -> None:
    assert -1.0 <= score_sentiment(text).score <= 1.0
