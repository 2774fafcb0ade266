"""The shipped IT glossary: it parses, every entry is well formed and its English is the KB's vocabulary; a
question is rendered case- and accent-blind, longest phrase first, German compounds cut into glossary words,
Chinese segmented by longest match, unknown words left out."""

from __future__ import annotations

import pytest
import yaml

from deskpilot.assist.glossary import GLOSSARY_PATH, LANGUAGES, fold, it_glossary, parse
from deskpilot.errors import InvalidInput

# "A few hundred" forms per language: the glossary covers the desk's vocabulary, not a handful of questions.
MIN_FORMS = 300


def test_the_shipped_glossary_parses_with_a_few_hundred_forms_per_language() -> None:
    glossary = it_glossary()
    for language in LANGUAGES:
        assert len(glossary.terms[language]) >= MIN_FORMS, language


def test_every_entry_is_a_non_empty_list_of_distinct_text_forms() -> None:
    data = yaml.safe_load(GLOSSARY_PATH.read_text(encoding="utf-8"))
    assert set(data) == {"names", *LANGUAGES}
    for language in LANGUAGES:
        for english, forms in data[language].items():
            assert isinstance(english, str) and english == english.strip().lower(), (language, english)
            assert isinstance(forms, list) and forms, (language, english)
            assert all(isinstance(f, str) and f.strip() for f in forms), (language, english, forms)


def test_the_file_opens_with_a_header_that_says_how_it_was_built() -> None:
    header = GLOSSARY_PATH.read_text(encoding="utf-8").split("\n\n")[0]
    assert "How it was built" in "\n".join(line for line in header.splitlines() if line.startswith("#"))


def test_a_form_with_two_meanings_in_one_language_is_refused() -> None:
    with pytest.raises(InvalidInput, match="means both"):
        parse({"names": [], "de": {"printer": ["Drucker"], "print": ["drucker"]}}, "test")


def test_an_unknown_language_or_a_non_text_form_is_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown language"):
        parse({"names": [], "it": {"printer": ["stampante"]}}, "test")
    with pytest.raises(InvalidInput, match="non-string"):
        parse({"names": [], "es": {"not": [False]}}, "test")  # YAML reads an unquoted `no` as false


def test_matching_ignores_case_and_accents() -> None:
    assert fold("Contraseña Straße ÉCRAN") == "contrasena strasse ecran"
    glossary = it_glossary()
    assert glossary.render("Mot de Passe oublié", "fr") == glossary.render("mot de passe oublie", "fr")


def test_the_longest_phrase_wins_and_unknown_words_are_left_out() -> None:
    glossary = it_glossary()
    assert glossary.render("Mi dirección de la sala de reuniones", "es") == "meeting room"
    assert glossary.render("Was gibt es heute in der Kantine?", "de") == ""


def test_a_german_compound_is_cut_into_glossary_words() -> None:
    assert it_glossary().render("Das Besucherpasswort", "de") == "guest password"


def test_chinese_is_segmented_by_longest_match_and_keeps_latin_names() -> None:
    assert it_glossary().render("打印机卡纸了", "zh") == "printer paper jam"
    assert it_glossary().render("我的VPN连接断开", "zh") == "vpn connect disconnected"


def test_english_and_unknown_languages_have_no_rendering() -> None:
    assert it_glossary().render("my printer is stuck", "en") == ""
    assert it_glossary().render("la stampante non funziona", "it") == ""
