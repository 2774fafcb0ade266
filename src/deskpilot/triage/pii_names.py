"""People's names for the PII redactor.

Three finders, from cheapest to heaviest: the words around a name ("Hi Anna,", "Regards,\\nJohn Smith",
"Mrs. Okafor", "my name is ...") on every message; the desk's own people (`KnownPeople`, built from the
users table), whose names are names in any language and wherever they stand; and a named-entity model
(`pii_ner.NerPeople`), optional because it costs seconds to load. The last two are `PeopleFinder`s the caller
passes in; the cues need nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Protocol

Span = tuple[int, int]

# Words that follow a greeting or a title but name nobody.
_NOT_NAMES_TEXT = (
    "all team everyone everybody there folks guys colleagues support service desk helpdesk it sir madam "
    "again and the a an i we you my our your please thanks thank good morning afternoon evening "
    "zusammen allerseits tout tous todos equipo équipe team's admin administrator "
    "mr mrs ms miss dr prof herr frau mme mlle sr sra"
)
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())
# Capitalised name parts that are also ordinary words at the start of a sentence.
_COMMON_WORDS_TEXT = (
    "may will mark bill grant june april august summer long young hope joy rose chase faith page "
    "frank guy max pat ray sky sun win rich drew dean gene lane miles art jack"
)
_COMMON_WORDS = frozenset(_COMMON_WORDS_TEXT.split())
_NAME_WORD = r"[^\W\d_][\w'’-]*"
_NAME = rf"(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,2}})"
_CUES = (
    # "Hi Anna," "Dear Mr Smith" "Hallo Jörg!" at the start of a line or sentence
    re.compile(rf"(?:^|(?<=[\n.!?]))[ \t]*(?:hi|hello|hey|dear|hallo|liebe[r]?|bonjour|hola|ciao)[ \t]+{_NAME}"
               r"(?=[ \t]*(?:[,!:\n]|$))", re.IGNORECASE | re.MULTILINE),
    # "Regards,\nJohn Smith" "Thanks\n- Anna"
    re.compile(r"\b(?:regards|best|cheers|thanks|thank[ \t]+you|sincerely|greetings|gr[üu](?:ß|ss)e|gru(?:ß|ss)|"
               rf"cordialement|saludos|saluti)[ \t]*[,.!]?[ \t]*\n[ \t]*(?:-[ \t]*)?{_NAME}[ \t]*(?=\n|$)",
               re.IGNORECASE),
    # "Mrs. Okafor" "Herr Müller" "Dr Chen"
    re.compile(rf"\b(?:mr|mrs|ms|miss|dr|prof|herr|frau|mme|mlle|sr|sra)\.?[ \t]+{_NAME}", re.IGNORECASE),
    # "my name is Anna Schmidt" "name: Anna Schmidt"
    re.compile(rf"\b(?:my[ \t]+name[ \t]+is|name[ \t]*:|ich[ \t]+hei(?:ß|ss)e|je[ \t]+m['’]appelle|me[ \t]+llamo)"
               rf"[ \t]+{_NAME}", re.IGNORECASE),
)


class PeopleFinder(Protocol):
    """Finds where people are named in a text."""

    def find_people(self, text: str) -> Iterator[Span]:
        """The [start, end) spans of people's names in `text`."""
        ...


def _capitalised_prefix(text: str, start: int, end: int) -> Span | None:
    # A cue is followed by a name's capitalised words; the first lower-case or non-name word ends it.
    words = [(match.start() + start, match.end() + start) for match in re.finditer(r"\S+", text[start:end])]
    kept: list[Span] = []
    for word_start, word_end in words:
        word = text[word_start:word_end]
        if not word[0].isupper() or word.lower().rstrip(".,!:") in _NOT_NAMES:
            break
        kept.append((word_start, word_end))
    return (kept[0][0], kept[-1][1]) if kept else None


def find_cued_name_spans(text: str) -> Iterator[Span]:
    """Names that the words around them announce: greetings, sign-offs, titles, "my name is"."""
    for pattern in _CUES:
        for match in pattern.finditer(text):
            span = _capitalised_prefix(text, *match.span("name"))
            if span is not None:
                yield span


def _alternation(names: Iterable[str]) -> str:
    escaped = sorted({re.escape(name).replace(r"\ ", r"\s+") for name in names}, key=len, reverse=True)
    return "|".join(escaped)


class KnownPeople:
    """The desk's own people: a full name of two or more words in any case, or one part of it written with a
    capital."""

    def __init__(self, full_names: Iterable[str]) -> None:
        names = {" ".join(name.split()) for name in full_names}
        # A one-word name ("admin", "Lena") is matched only as a capitalised part: in any case it is often a word.
        full = {name for name in names if len(name) >= 3 and " " in name}
        parts = {part for name in names for part in name.split()
                 if len(part) >= 3 and part[0].isupper() and part.lower() not in _COMMON_WORDS | _NOT_NAMES}
        boundary_before, boundary_after = r"(?<![\w\]@.])", r"(?![\w\[@]|\.\w)"
        self._full = (re.compile(f"{boundary_before}(?:{_alternation(full)}){boundary_after}", re.IGNORECASE)
                      if full else None)
        self._parts = (re.compile(f"{boundary_before}(?:{_alternation(parts)}){boundary_after}")
                       if parts else None)

    def find_people(self, text: str) -> Iterator[Span]:
        """Every place a known person's full name, or a capitalised part of it, stands in `text`."""
        for pattern in (self._full, self._parts):
            if pattern is not None:
                for match in pattern.finditer(text):
                    yield match.span()


class CombinedPeople:
    """Several finders as one: the desk's people and, when configured, the named-entity model."""

    def __init__(self, finders: Iterable[PeopleFinder]) -> None:
        self._finders = tuple(finders)

    def find_people(self, text: str) -> Iterator[Span]:
        """The spans every finder reports (overlaps are resolved by the redactor)."""
        for finder in self._finders:
            yield from finder.find_people(text)
