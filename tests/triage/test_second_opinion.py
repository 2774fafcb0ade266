"""The desk's taxonomy as a second opinion beside the learned model: agreement lifts the confidence, a
disagreement leaves the learned model's prediction as it was."""

from __future__ import annotations

import pytest

from deskpilot.ml.text_classifier import ClassPrediction, ScoredLabel
from deskpilot.triage.cold_start import LexicalPrototypes, Prototype, agreeing


def _said(label: str, confidence: float, *, abstained: bool = False) -> ClassPrediction:
    return ClassPrediction(label, confidence, abstained, (ScoredLabel(label, confidence),), ())


def test_agreement_is_the_chance_that_not_both_are_wrong() -> None:
    combined = agreeing(_said("Printing", 0.4, abstained=True), _said("Printing", 0.5))
    assert combined.label == "Printing" and not combined.abstained
    assert combined.confidence == pytest.approx(1 - 0.6 * 0.5)
    assert combined.top_terms[-1].term == "a second opinion agrees (0.50)"


@pytest.mark.parametrize("other", ["Hardware", ""])
def test_a_disagreement_or_no_opinion_changes_nothing(other: str) -> None:
    learned = _said("Printing", 0.3, abstained=True)
    assert agreeing(learned, _said(other, 0.9)) is learned


def test_the_prototypes_read_by_their_words_name_the_category_sharing_the_most_words() -> None:
    lexical = LexicalPrototypes([
        Prototype("Printing", "The printer on floor 2 jams and prints blank pages", "example request"),
        Prototype("Printing", "Printing: printers, toner, scanning to e-mail", "description"),
        Prototype("Network & VPN", "GlobalProtect VPN will not connect from home", "example request"),
    ])
    assert lexical.labels == ("Network & VPN", "Printing")
    printer, vpn = lexical.predict(["my printer prints blank pages", "the VPN does not connect"])
    assert printer.label == "Printing" and vpn.label == "Network & VPN"
    assert printer.confidence > 0.5 and not printer.abstained
    assert lexical.predict([]) == []
