"""The desk's taxonomy as a second opinion beside the learned model: agreement lifts the confidence, a
disagreement leaves the learned model's prediction as it was."""

from __future__ import annotations

import pytest

from deskpilot.ml.text_classifier import ClassPrediction, ScoredLabel
from deskpilot.triage.cold_start import agreeing


def _said(label: str, confidence: float, *, abstained: bool = False) -> ClassPrediction:
    return ClassPrediction(label, confidence, abstained, (ScoredLabel(label, confidence),), ())


def test_agreement_is_the_chance_that_not_both_are_wrong() -> None:
    combined = agreeing(_said("Printing", 0.4, abstained=True), _said("Printing", 0.5))
    assert combined.label == "Printing" and not combined.abstained
    assert combined.confidence == pytest.approx(1 - 0.6 * 0.5)
    assert combined.top_terms[-1].term == "the taxonomy agrees (0.50)"


@pytest.mark.parametrize("other", ["Hardware", ""])
def test_a_disagreement_or_no_opinion_changes_nothing(other: str) -> None:
    learned = _said("Printing", 0.3, abstained=True)
    assert agreeing(learned, _said(other, 0.9)) is learned
