"""Normalisation: one canonical form for subject and body."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from deskpilot.triage.normalise import MAX_TEXT_CHARS, normalise_text, normalise_ticket_text


def test_compatibility_forms_are_folded() -> None:
    text, truncated = normalise_text("ＶＰＮ ｉｓ ｄｏｗｎ ０１２３ ﬁle")
    assert text == "VPN is down 0123 file"
    assert not truncated


def test_control_and_invisible_characters_are_removed() -> None:
    assert normalise_text("pass\u200bword\x00 is\u202e bad\x07")[0] == "password is bad"


def test_joiners_that_shape_words_are_kept() -> None:
    assert normalise_text("👩\u200d💻 desk")[0] == "👩\u200d💻 desk"


def test_whitespace_collapses_but_paragraphs_stay() -> None:
    text = "  Hello\u00a0\u00a0team,\r\n\r\n\r\n\tthe   printer\u2028is  jammed.  \n"
    assert normalise_text(text)[0] == "Hello team,\n\nthe printer\nis jammed."


def test_long_text_is_capped_with_a_flag() -> None:
    text, truncated = normalise_text("word " * 10_000)
    assert truncated
    assert len(text) <= MAX_TEXT_CHARS
    short, short_truncated = normalise_text("abc def", max_chars=5)
    assert (short, short_truncated) == ("abc d", True)


def test_ticket_subject_is_one_line_and_combined_text_joins_both() -> None:
    ticket = normalise_ticket_text("  Outlook\ncrashes ", "Since today\u00a0it crashes.")
    assert ticket.subject == "Outlook crashes"
    assert ticket.combined == "Outlook crashes\n\nSince today it crashes."
    assert not ticket.truncated
    assert normalise_ticket_text("", "only body").combined == "only body"


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_normalisation_is_idempotent(text: str) -> None:
    once, _ = normalise_text(text)
    assert normalise_text(once) == (once, False)
