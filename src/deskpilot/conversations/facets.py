"""The fact that tells close articles apart (the device's operating system, the office), read from the articles'
titles, and the same fact in what the requester writes ("on my Mac"). Pure functions.

"My VPN won't connect" finds "Connect to the company VPN on Windows" and "... on macOS" side by side: their
titles differ by one facet value, so the assistant asks which applies instead of guessing. Only the values the
competing articles name become options; the vocabulary below says how a value is written in a title and how
people write it in a chat.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from deskpilot.assist.index_store import KbDocument


@dataclass(frozen=True)
class FacetValue:
    facet: str
    value: str
    in_title: re.Pattern[str]
    in_chat: re.Pattern[str]


def _words(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE)


VALUES = (
    FacetValue("device", "Windows", _words("windows"), _words("windows|win ?1[01]|pc|dell|latitude|thinkpad")),
    FacetValue("device", "macOS", _words("mac ?os|macbook|mac"), _words("mac ?os|macbook( air| pro)?|mac|imac|apple "
                                                                        "laptop|os x")),
    FacetValue("device", "Phone or tablet", _words("iphone|ipad|android"),
               _words("iphone|ipad|android|ios|mobile|my phone|smartphone|tablet|galaxy|pixel")),
    FacetValue("device", "Linux", _words("linux|ubuntu"), _words("linux|ubuntu|fedora")),
)
FACET_QUESTIONS = {"device": "Which device is this on"}
_CONTENT = re.compile(r"[a-z0-9][a-z0-9-]{2,}")
_STOP = frozenset({"the", "and", "for", "with", "your", "you", "how", "what", "use", "not", "does", "are", "can",
                   "company", "from", "that", "this", "into", "out", "off", "after", "when", "why", "won't", "don't",
                   "doesn't", "cannot", "can't", "get", "set", "fix", "problems", "problem", "issues", "error",
                   "errors", "work", "working", "connect", "connecting", "request", "new", "access"})


@dataclass(frozen=True)
class Clarification:
    """One question for the requester: the facet, and for each value the article it leads to."""

    facet: str
    options: dict[str, str]  # value → slug

    def question(self) -> str:
        return f"{FACET_QUESTIONS.get(self.facet, 'Which applies')}? Choose one: {' · '.join(self.options)}."


def title_values(title: str) -> dict[str, str]:
    """facet → value named in an article title ("... on macOS" → {"device": "macOS"})."""
    found: dict[str, str] = {}
    for item in VALUES:
        if item.facet not in found and item.in_title.search(title):
            found[item.facet] = item.value
    return found


def stated_values(text: str) -> dict[str, str]:
    """facet → value the requester named ("on my MacBook" → {"device": "macOS"}); the first one named wins."""
    found: dict[str, tuple[int, str]] = {}
    for item in VALUES:
        match = item.in_chat.search(text)
        if match and (item.facet not in found or match.start() < found[item.facet][0]):
            found[item.facet] = (match.start(), item.value)
    return {facet: value for facet, (_start, value) in found.items()}


def _topic(title: str) -> set[str]:
    words = set(_CONTENT.findall(title.lower())) - _STOP
    return {w for w in words if not any(v.in_title.fullmatch(w) for v in VALUES)}


def clarification(question: str, ranked: Sequence[KbDocument], library: Iterable[KbDocument],
                  known: dict[str, str]) -> Clarification | None:
    """The question to ask when the best articles differ by a facet the requester has not told yet.

    `ranked` are the search's best articles for the question: the first that names a facet value in its title
    sets the topic; every article of `library` on that topic (a title word the question also uses) naming
    another value of the same facet becomes an option. One value only, or a facet already known: no question.
    """
    asked = set(_CONTENT.findall(question.lower()))
    for document in ranked:
        for facet, value in title_values(document.title).items():
            if facet in known:
                continue
            topic = _topic(document.title) & asked
            if not topic:
                continue
            options = {value: document.slug}
            for other in library:
                other_value = title_values(other.title).get(facet)
                if other_value and other_value not in options and topic & _topic(other.title):
                    options[other_value] = other.slug
            if len(options) > 1:
                return Clarification(facet, options)
    return None


def chosen(reply: str, offer: Clarification) -> str | None:
    """The option the requester picked ("the Mac one", "macOS", "2"), or None when it is none of them."""
    stripped = reply.strip().rstrip(".!")
    names = list(offer.options)
    if stripped.isdigit() and 1 <= int(stripped) <= len(names):
        return names[int(stripped) - 1]
    value = stated_values(reply).get(offer.facet)
    if value in offer.options:
        return value
    return next((name for name in names if name.lower() in reply.lower()), None)
