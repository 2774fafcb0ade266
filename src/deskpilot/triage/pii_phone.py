"""Phone-number spans for the PII redactor.

Digits are everywhere in IT tickets (ticket and order numbers, dates, versions, error codes, serials), so
a digit run counts as a phone number only when its shape says so (an international prefix, a trunk
"0" with enough digits, the North-American 3-3-4 pattern) or when the words just before it do
("call me on", "Tel.:"). Words like "ticket", "error" or "version" right before a number veto the
shape rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_CANDIDATE = re.compile(r"(?<![\w@#/\\.:,+\]-])(?:\+|\(\+?)?\d[\d ./()-]{5,24}\d(?![\w@[]|[.,/:-]?\d)")
_LOOSE_SEPARATORS = re.compile(r"[ ./()-]{3,}")
_DATE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}")
_NORTH_AMERICAN = re.compile(r"(?:1[ .-]?)?(?:\([2-9]\d\d\)|[2-9]\d\d)[ .-]?\d{3}[ .-]\d{4}")
_CUE_WORDS = (
    r"tel|phone|telephone|mobile|mob|cell|cellphone|fax|call|ring|reach|text|sms|whatsapp|"
    r"hotline|extension|ext|handy|telefon|mobil|rufnummer|anrufen|tél|téléphone|portable|teléfono|"
    r"móvil|celular|llamar"
)
_IMMEDIATE_CUE = re.compile(
    r"\bmy (?:mobile |cell |phone )?(?:number|nummer)(?: is| ist)?\W{0,4}$|"
    rf"\b(?:{_CUE_WORDS})\b\.?(?:\W{{0,3}}(?:number|no|nr|nummer|numéro|número)\b\.?)?"
    r"(?:\W{0,3}(?:me|us|him|her)?\W{0,3}(?:on|at|under|unter|au|al)?)?\W{0,4}$",
    re.IGNORECASE,
)
_NEARBY_CUE = re.compile(rf"\b(?:{_CUE_WORDS})\b", re.IGNORECASE)
_IMMEDIATE_VETO = re.compile(
    r"\b(?:ticket|case|incident|inc|req|request|change|chg|order|ref|reference|invoice|id|serial|sn|"
    r"asset|tag|error|err|code|build|version|ver|kb|po|sr|tracking|account|acct|customer|employee|"
    r"nr|no|number|nummer|port|pid|event|hresult|kunde|auftrag|rechnung|fehler)\b\W{0,4}$",
    re.IGNORECASE,
)
_CONTEXT_CHARS = 32
_CONTEXT_SLACK_CHARS = 256
# Placeholders ("[PHONE]") and masks ("[____]") of other findings are not words and cue nothing; they
# are dropped before the context is cut so that a second pass over redacted text reads the same words.
_NOT_WORDS = re.compile(r"\[[A-Z]+\]|\[?_+\]")


def _is_phone(candidate: str, before: str) -> bool:
    digits = sum(char.isdigit() for char in candidate)
    if digits > 15 or _LOOSE_SEPARATORS.search(candidate) or _DATE.fullmatch(candidate):
        return False
    if candidate.count("(") != candidate.count(")"):
        return False
    if _IMMEDIATE_CUE.search(before):
        return digits >= 6
    if _IMMEDIATE_VETO.search(before):
        return False
    if candidate.startswith(("+", "(+")) or (candidate.startswith("00") and not candidate.startswith("000")):
        return digits >= 8
    if _NEARBY_CUE.search(before):
        return digits >= 7
    if candidate.startswith(("0", "(0")):
        return 9 <= digits <= 13
    return _NORTH_AMERICAN.fullmatch(candidate) is not None


def _words_before(text: str, position: int) -> str:
    window = text[max(0, position - _CONTEXT_SLACK_CHARS) : position]
    return _NOT_WORDS.sub(" ", window)[-_CONTEXT_CHARS:]


def _phone_within(text: str, start: int, end: int) -> tuple[int, int] | None:
    # A run like "ticket 4711 (030) 1234567" or two numbers in a row fails as a whole; its
    # space-separated parts are tried, earliest and longest first. A part that starts inside a run of
    # digit groups ("DE89 3704 0044 0532 ...") must open like a phone number does, with "+" or "(".
    spaces = [start + offset for offset, char in enumerate(text[start:end]) if char == " "]
    for part_start in [start, *(space + 1 for space in spaces if text[space + 1] in "+(")]:
        for part_end in [end, *reversed(spaces)]:
            if (
                part_end > part_start
                and _CANDIDATE.fullmatch(text, part_start, part_end)
                and _is_phone(text[part_start:part_end], _words_before(text, part_start))
            ):
                return part_start, part_end
    return None


def find_phone_spans(text: str) -> Iterator[tuple[int, int]]:
    """The [start, end) spans of phone numbers in `text`."""
    position = 0
    while match := _CANDIDATE.search(text, position):
        found = _phone_within(text, match.start(), match.end())
        position = found[1] if found else match.end()
        if found:
            yield found
