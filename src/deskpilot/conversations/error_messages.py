"""Typed error messages and codes matched to the article step that covers them. Pure functions.

Error-code articles quote each message in a step (`**"Authentication failed"**: your password ...`) and name
codes such as `0x800f0922`. A requester who writes "Gateway Berlin: Authentication failed" or "it says
0x800f0922" gets that step directly: a code matches exactly, a quoted message when nearly all of its words
appear in the requester's text in order (so "Authentification failed" still finds it, a lone "failed" does not).
Semantic search ranks the topic; this finds the exact step. A short message can be quoted by several articles'
topics ("No internet", "Over quota"): the caller checks that the rest of the requester's words (`rest_of`) do
not point to another article (`troubleshoot.matched_error`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from deskpilot.assist.index_store import KbDocument
from deskpilot.conversations.steps import numbered_steps

_QUOTED = re.compile(r"[\"\u201c\u201e]([^\"\u201c\u201d\u201e\n]{4,120})[\"\u201d]")
_CODE = re.compile(r"\b(0x[0-9a-f]{6,8}|[A-Z]{1,4}-?\d{3,5})\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")
MIN_WORDS = 2        # a one-word quote ("Failed") is too common to name one step
MIN_SIMILARITY = 0.85  # share of the quoted message's letters found, in order, in the requester's words


@dataclass(frozen=True)
class ErrorMatch:
    """The step of `document` (1-based `number`) that covers `error`, the message or code as the article has it."""

    document: KbDocument
    number: int
    error: str
    score: float
    by_code: bool = False


def codes(text: str) -> set[str]:
    """Error codes in `text`, lower-cased: `0x800f0922`, `E-1234`, `ERR404`-style identifiers with digits."""
    return {c.lower().replace("-", "") for c in _CODE.findall(text)}


@dataclass(frozen=True)
class _Quote:
    """A message an article step quotes, with its words and their letters (for the upper bound below)."""

    message: str
    target: str
    size: int
    letters: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class _Step:
    number: int
    codes: frozenset[str]
    quotes: tuple[_Quote, ...]


@dataclass(frozen=True)
class _ErrorSteps:
    """What `match_step` reads of one article text: whether it quotes or names anything, and its steps'."""

    quotes: bool
    codes: bool
    steps: tuple[_Step, ...]


def _quote(message: str) -> _Quote:
    wanted = _WORD.findall(message.lower())
    target = " ".join(wanted)
    return _Quote(message, target, len(wanted), tuple(Counter(target).items()))


@lru_cache(maxsize=16_384)
def _error_steps(text: str) -> _ErrorSteps:
    """An article's steps as `match_step` reads them, parsed once per process and article text: every first
    question is compared with every article that quotes an error."""
    steps = tuple(_Step(number, frozenset(codes(step)), tuple(_quote(m) for m in _QUOTED.findall(step)))
                  for number, step in enumerate(numbered_steps(text), start=1))
    return _ErrorSteps(quotes=_QUOTED.search(text) is not None, codes=_CODE.search(text) is not None, steps=steps)


def read_articles(documents: Iterable[KbDocument]) -> None:
    """Parse the articles' steps now, as the first question of a process would (for the warm-up at start)."""
    for document in documents:
        _error_steps(document.text)


def _similarity(quote: _Quote, words: list[str], floor: float) -> float:
    """How well the quoted message appears in `words`: the best window of the same length, compared letter by
    letter (`SequenceMatcher.ratio`). Exact when it reaches `floor`; below it, some score below `floor`. A window
    is compared only when the letters it shares with the message could reach `floor` and beat the best so far:
    ratio = 2·matches / length, and matches never exceed the shared letters."""
    if quote.size < MIN_WORDS or len(words) < quote.size:
        return 0.0
    best = 0.0
    for start in range(len(words) - quote.size + 1):
        window = " ".join(words[start:start + quote.size])
        shared = sum([min(count, window.count(letter)) for letter, count in quote.letters])
        bound = 2.0 * shared / (len(quote.target) + len(window))
        if bound >= floor and bound > best:
            best = max(best, SequenceMatcher(None, quote.target, window).ratio())
    return best


def match_step(text: str, documents: Iterable[KbDocument]) -> ErrorMatch | None:
    """The article step that covers an error message or code the requester typed, or None."""
    typed_codes = codes(text)
    words = _WORD.findall(text.lower())
    best: ErrorMatch | None = None
    for document in documents:
        read = _error_steps(document.text)
        if not read.quotes and not (typed_codes and read.codes):
            continue
        for step in read.steps:
            for code in typed_codes & step.codes:
                return ErrorMatch(document, step.number, code, 1.0, by_code=True)
            for quote in step.quotes:
                score = _similarity(quote, words, MIN_SIMILARITY)
                if score >= MIN_SIMILARITY and (best is None or score > best.score):
                    best = ErrorMatch(document, step.number, quote.message.strip(), score)
    return best


def rest_of(text: str, match: ErrorMatch) -> str:
    """The requester's text without the matched message, each of its words taken out once ("no internet via LAN"
    → "via LAN"; "invalid username or password but my password works" keeps the second "password")."""
    left = _WORD.findall(match.error.lower())

    def drop(word: re.Match[str]) -> str:
        if word.group(0).lower() in left:
            left.remove(word.group(0).lower())
            return ""
        return word.group(0)

    return " ".join(re.sub(r"[A-Za-z0-9]+", drop, text).split())


def typed_error(text: str) -> str | None:
    """The error the requester quoted or named ("it says 'Portal address not valid'"), for the diagnostics."""
    quoted = _QUOTED.search(text) or re.search(r"'([^'\n]{4,120})'", text)
    if quoted:
        return quoted.group(1).strip()
    found = _CODE.search(text)
    return found.group(1) if found else None
