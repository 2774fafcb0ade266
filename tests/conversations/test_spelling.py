"""Typos are searched with their correction beside them, read against the words of the KB; right words are kept."""

from __future__ import annotations

from deskpilot.conversations.spelling import Vocabulary, edit_distance, keyboard_neighbours, with_corrections

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


LONG_KB = Vocabulary.of([
    "BitLocker recovery key. Find the recovery key in the company portal.",
    "OneDrive is not syncing: check the certificate. Outlook and the laptop.",
    "Mortal mortal mortal portal.",
    "Connect to the Wi-Fi with your wifi password.",
    "Sign in at myaccount.example.com to see my account, then check my account again.",
])


def test_a_long_word_may_hold_two_slips_a_short_one_only_one() -> None:
    assert LONG_KB.correction("bitlokcr") == "bitlocker"  # swapped neighbours and a dropped letter
    assert LONG_KB.correction("certficat") == "certificate"  # two dropped letters
    assert LONG_KB.correction("rcovry") is None  # six letters, two edits from "recovery": too short to read
    assert LONG_KB.correction("mecovery") == "recovery"  # one edit, the first letter may be the slip
    assert LONG_KB.correction("nxcovery") is None  # two edits including the first letter: not a slip


def test_a_keyboard_neighbour_slip_wins_over_a_more_frequent_word() -> None:
    # "lortal": l touches p on the keyboard, not m, so "portal" although "mortal" is more frequent.
    assert LONG_KB.correction("lortal") == "portal"
    assert keyboard_neighbours("l", "p") and keyboard_neighbours("a", "z") and not keyboard_neighbours("l", "m")


def test_words_typed_in_two_or_together_get_the_kb_words() -> None:
    assert with_corrections("one drive not syncing", LONG_KB) == "one drive not syncing (onedrive)"
    assert with_corrections("lap top stolen", LONG_KB) == "lap top stolen (laptop)"
    assert with_corrections("forgot wifipassword", LONG_KB) == "forgot wifipassword (wifi password)"
    # The KB writes "Wi-Fi" with a hyphen: its halves are searched already, nothing is added.
    assert with_corrections("wi fi down", LONG_KB) == "wi fi down"
    assert LONG_KB.split("dropbox") is None  # parts shorter than four letters are not read
    # The KB writes "my account" as two words more often than the "myaccount" of an address: not joined.
    assert with_corrections("my account is locked", LONG_KB) == "my account is locked"


def test_edit_distance_counts_a_swap_of_neighbours_as_one() -> None:
    assert edit_distance("pritner", "printer") == 1
    assert edit_distance("bitlokcr", "bitlocker") == 2
    assert edit_distance("", "abc") == 3
