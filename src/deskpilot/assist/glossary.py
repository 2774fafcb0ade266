"""The shipped IT glossary (`it_glossary.yaml`): a question in German, French, Spanish or Chinese rendered as the
English words of the KB, so it can also be searched the way English questions are (dictionary-based
cross-language retrieval, `assist.cross_language`).

Matching is case- and accent-blind (ß is ss) and takes the longest glossary phrase first: a run of words in the
Latin-script languages, a run of characters in Chinese (which writes no spaces). A German word the glossary
lacks is read as a compound of glossary words when they cover it whole ("Gastpasswort" → guest password). A
word it still does not know is tried without a common inflectional ending, then left out: the rendering holds
only the glossary's English words, the product names it lists and tokens with a digit (error codes).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from deskpilot.errors import InvalidInput

GLOSSARY_PATH = Path(__file__).with_name("it_glossary.yaml")
LANGUAGES = ("de", "fr", "es", "zh")
# Endings tried off a word the glossary does not know, longest first (plurals and the commonest inflections).
_ENDINGS = {"de": ("ern", "en", "er", "es", "e", "n", "s"), "fr": ("es", "s", "x", "e"), "es": ("es", "s")}
_MIN_STEM = 3
_MIN_PART = 3  # the shortest glossary word a German compound is cut into
_LINKS = ("s", "n", "")  # German linking letters between the parts of a compound (Fugen-s, Fugen-n)
_HAN_CHARS = "\u3400-\u9fff\uf900-\ufaff"
_HAN = re.compile(f"[{_HAN_CHARS}]")
_HAN_RUN = re.compile(f"([{_HAN_CHARS}]+)")
_WORD = re.compile(f"[^\\W_{_HAN_CHARS}]+")
_MAX_PHRASE_WORDS = 4


def fold(text: str) -> str:
    """Lower case without accents (ß as ss): how both the glossary and a question are matched."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


@dataclass(frozen=True)
class Glossary:
    """Per language: folded phrase → English (the product names, which every language writes alike, included)."""

    terms: Mapping[str, Mapping[str, str]]

    def render(self, text: str, language: str) -> str:
        """The English words of `text` the glossary knows, in order; "" for English or an unknown language."""
        table = self.terms.get(language)
        if not table:
            return ""
        out: list[str] = []
        for part in _HAN_RUN.split(fold(text)):
            if _HAN.match(part):
                out.extend(self._segment(part, table))
            else:
                out.extend(self._words(_WORD.findall(part), table, language))
        return " ".join(out)

    def _words(self, words: list[str], table: Mapping[str, str], language: str) -> list[str]:
        out, i = [], 0
        while i < len(words):
            for size in range(min(_MAX_PHRASE_WORDS, len(words) - i), 0, -1):
                english = table.get(" ".join(words[i:i + size]))
                if english is not None:
                    out.append(english)
                    i += size
                    break
            else:
                out.extend(self._word(words[i], table, language))
                i += 1
        return out

    def _word(self, word: str, table: Mapping[str, str], language: str) -> list[str]:
        if any(c.isdigit() for c in word):
            return [word]
        english = _lookup(word, table, language)
        if english is not None:
            return [english]
        return self._compound(word, table) if language == "de" else []

    def _compound(self, word: str, table: Mapping[str, str]) -> list[str]:
        """`word` cut into glossary words that cover it whole (the last one maybe inflected), longest first part
        first; [] if none do."""
        last = _lookup(word, table, "de")
        if last is not None:
            return [last]
        for end in range(len(word) - _MIN_PART, _MIN_PART - 1, -1):
            head = word[:end]
            if head not in table:
                continue
            for link in _LINKS:
                if word.startswith(link, end) and len(word) - end - len(link) >= _MIN_PART:
                    rest = self._compound(word[end + len(link):], table)
                    if rest:
                        return [table[head], *rest]
        return []

    @staticmethod
    def _segment(run: str, table: Mapping[str, str]) -> list[str]:
        """Chinese: the longest glossary word at each position; a character no word starts with is skipped."""
        longest = max((len(k) for k in table if _HAN.match(k)), default=1)
        out, i = [], 0
        while i < len(run):
            for size in range(min(longest, len(run) - i), 0, -1):
                english = table.get(run[i:i + size])
                if english is not None:
                    out.append(english)
                    i += size
                    break
            else:
                i += 1
        return out


def _lookup(word: str, table: Mapping[str, str], language: str) -> str | None:
    """The English of `word`, or of `word` without one of the language's common endings."""
    if word in table:
        return table[word]
    for ending in _ENDINGS.get(language, ()):
        stem = word[:-len(ending)]
        if word.endswith(ending) and len(stem) >= _MIN_STEM and stem in table:
            return table[stem]
    return None


def parse(data: object, source: str) -> Glossary:
    """A glossary from the YAML's data: `names` (a list) and per language a map English → list of forms.

    Refuses what is not well formed: an unknown language, an empty or non-string term, a form listed twice
    in one language with two different English renderings."""
    if not isinstance(data, dict) or not isinstance(data.get("names"), list):
        raise InvalidInput(f"{source}: expected a map with `names` and the languages {', '.join(LANGUAGES)}")
    terms: dict[str, dict[str, str]] = {}
    for language, entries in data.items():
        if language == "names":
            continue
        if language not in LANGUAGES or not isinstance(entries, dict):
            raise InvalidInput(f"{source}: unknown language or not a map: {language!r}")
        table = terms.setdefault(language, {})
        for english, forms in entries.items():
            if not isinstance(english, str) or not english.strip() or not isinstance(forms, list) or not forms:
                raise InvalidInput(f"{source}: {language}: {english!r} needs a non-empty list of forms")
            for form in forms:
                if not isinstance(form, str) or not _key(form):
                    raise InvalidInput(f"{source}: {language}: {english!r} has an empty or non-string form")
                key = _key(form)
                if table.get(key, english) != english:
                    raise InvalidInput(f"{source}: {language}: {form!r} means both {table[key]!r} and {english!r}")
                table[key] = english
    names = data["names"]
    if not all(isinstance(n, str) and _key(n) for n in names):
        raise InvalidInput(f"{source}: `names` must be non-empty strings")
    for language in LANGUAGES:
        table = terms.setdefault(language, {})
        for name in names:
            table.setdefault(_key(name), name)
    return Glossary(terms)


def _key(form: str) -> str:
    """How a form is looked up: its folded words one space apart; Chinese without spaces."""
    folded = fold(form)
    return "".join(folded.split()) if _HAN.search(folded) else " ".join(_WORD.findall(folded))


@lru_cache(maxsize=1)
def it_glossary() -> Glossary:
    """The shipped glossary, read once."""
    with GLOSSARY_PATH.open(encoding="utf-8") as handle:
        return parse(yaml.safe_load(handle), GLOSSARY_PATH.name)
