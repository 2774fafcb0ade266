"""Typos are searched with their correction beside them, read against the words of the KB; right words are kept."""

from __future__ import annotations

from deskpilot.conversations.spelling import Vocabulary, with_corrections

KB = Vocabulary.of([
    "Outlook not syncing. Restart Outlook and check the syncing status bar.",
    "Connect to the corporate Wi-Fi. Choose NW-Corp and sign in with your password.",
    "Printer paper jam. Open the printer tray and remove the paper.",
    "Drucker druckt nicht. Starten Sie den Drucker neu.",
])


def test_a_misspelt_word_gets_the_kb_word_one_edit_away_added_after_the_question() -> None:
    assert with_corrections("outlouk not syncng", KB) == "outlouk not syncng (outlook syncing)"
    assert with_corrections("pritner tray stuck", KB) == "pritner tray stuck (printer)"  # two letters swapped
    assert with_corrections("wiifi at the office", KB) == "wiifi at the office (wifi)"  # "Wi-Fi" written as one word
    assert with_corrections("Mein Drucker drukt nicht", KB) == "Mein Drucker drukt nicht (druckt)"


def test_right_words_short_words_and_negations_are_left_alone() -> None:
    for question in ("my screen is blank", "laptop wont boot", "how do I sign in", "VPN 809 err", "Outlook syncing"):
        assert with_corrections(question, KB) == question
    assert KB.correction("blank") is None and KB.correction("pap") is None
