"""Frustration and sentiment from a small lexicon: no model, no download, a few microseconds a message.

Word valences are adjusted the way VADER does it (a negation within three words flips and dampens,
an intensifier or a word in capitals amplifies, exclamation marks push further in the same direction),
then squashed into [-1, 1]. Service-desk phrases that signal a customer losing patience ("third time",
"still not fixed", "already reported") and profanity count on their own and set `frustrated`.
Problem words ("broken", "error") are deliberately neutral: every ticket describes a problem, and the
score is about the requester's mood, not the fault.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

FRUSTRATED_BELOW = -0.4
_SQUASH_ALPHA = 15.0
_NEGATION_DAMPING = -0.5
_INTENSIFIER_BOOST = 1.5
_CAPS_BOOST = 1.3
_EXCLAMATION_STEP = 0.3
_MAX_EXCLAMATIONS = 4

# Lexicons are word lists in plain text so that a desk can read (and extend) them at a glance.
_GRATEFUL_WORDS = (
    "thanks thank thx appreciate appreciated glad happy helpful perfect great excellent awesome amazing "
    "wonderful fantastic brilliant love pleased danke merci gracias super toll"
)
_CONTENT_WORDS = "good nice fine ok okay resolved works"
_UNHAPPY_WORDS = (
    "frustrated frustrating annoyed annoying upset unhappy disappointed disappointing tired bad poor "
    "slow stupid joke ignored frustriert enttäuscht ärgerlich frustré déçu frustrado"
)
_ANGRY_WORDS = (
    "angry furious useless terrible awful horrible ridiculous unacceptable worst hate pathetic "
    "incompetent nightmare disgrace absurd unzumutbar inakzeptabel katastrophe inacceptable inaceptable"
)
_PROFANE_WORDS = (
    "damn dammit crap crappy shit shitty wtf fuck fucking fucked bloody hell scheiße scheisse merde mierda"
)
_NEGATION_WORDS = (
    "not no never nothing nobody none neither nor without cannot nicht kein keine nie pas jamais ni nunca"
)
_INTENSIFIER_WORDS = (
    "very really so extremely totally absolutely completely utterly incredibly super truly highly "
    "sehr total très vraiment muy"
)
_VALENCE = (
    dict.fromkeys(_GRATEFUL_WORDS.split(), 1.8)
    | dict.fromkeys(_CONTENT_WORDS.split(), 0.8)
    | dict.fromkeys(_UNHAPPY_WORDS.split(), -1.6)
    | dict.fromkeys(_ANGRY_WORDS.split(), -2.6)
)
_PROFANITY = frozenset(_PROFANE_WORDS.split())
_PROFANITY_VALENCE = -2.6
_NEGATIONS = frozenset(_NEGATION_WORDS.split())
_INTENSIFIERS = frozenset(_INTENSIFIER_WORDS.split())


@dataclass(frozen=True, slots=True)
class _Phrase:
    reason: str
    valence: float
    pattern: re.Pattern[str]


def _phrase(reason: str, valence: float, pattern: str) -> _Phrase:
    return _Phrase(reason, valence, re.compile(pattern, re.IGNORECASE))


_PHRASES = (
    _phrase(
        "repeated contact",
        -2.0,
        r"\b(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)|umpteenth|nth|zweiten|dritten|x-ten)"
        r" (?:time|mal)\b"
        r"|\b(?:again and again|once again|yet again|over and over|schon wieder|encore une fois)\b"
        r"|\b(?:already (?:reported|told|called|opened|raised|sent|explained)|how many times)\b",
    ),
    _phrase(
        "still not fixed",
        -2.0,
        r"\bstill (?:not|isn't|doesn't|hasn't|won't|no|nothing)\b|\bimmer noch nicht\b|\btoujours pas\b",
    ),
    _phrase(
        "kept waiting",
        -1.6,
        r"\b(?:no (?:one|body) (?:has )?(?:responded|replied|answered|helped|responds|replies)"
        r"|nobody (?:has )?(?:responded|replied|answered|helped)|no (?:response|reply|answer) (?:yet|since)"
        r"|(?:been )?waiting (?:for|since) (?:days|weeks|hours|ages|\d+ (?:days|weeks|hours)))\b",
    ),
    _phrase(
        "lost patience",
        -2.6,
        r"\b(?:fed up|sick (?:and tired )?of|had enough|waste of (?:my )?time|thanks for nothing"
        r"|giving up|give up)\b",
    ),
)
_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


@dataclass(frozen=True, slots=True)
class Sentiment:
    """Mood in [-1, 1] (negative is unhappy), whether the requester is frustrated, and why."""

    score: float
    frustrated: bool
    reasons: list[str] = field(default_factory=list)


def _is_shouted(token: str) -> bool:
    return len(token) >= 3 and token.isupper()


def _is_negated(tokens: list[str], index: int) -> bool:
    return any(
        word.lower() in _NEGATIONS or word.lower().endswith("n't")
        for word in tokens[max(0, index - 3) : index]
    )


def _word_valence(tokens: list[str], index: int) -> float:
    token = tokens[index]
    valence = _VALENCE.get(token.lower(), 0.0)
    if not valence:
        return 0.0
    if any(word.lower() in _INTENSIFIERS for word in tokens[max(0, index - 2) : index]):
        valence *= _INTENSIFIER_BOOST
    if _is_shouted(token):
        valence *= _CAPS_BOOST
    if _is_negated(tokens, index):
        valence *= _NEGATION_DAMPING
    return valence


def _lexicon_total(tokens: list[str], reasons: list[str]) -> float:
    total = 0.0
    unhappy: list[str] = []
    for index, token in enumerate(tokens):
        word = token.lower()
        valence = _PROFANITY_VALENCE if word in _PROFANITY else _word_valence(tokens, index)
        total += valence
        if valence < 0:
            unhappy.append(f"not {word}" if word not in _PROFANITY and _is_negated(tokens, index) else word)
    if unhappy:
        reasons.append("negative words: " + ", ".join(f"'{word}'" for word in unhappy[:5]))
    return total


def _emphasis(text: str, tokens: list[str], total: float, reasons: list[str]) -> tuple[float, bool]:
    """The total pushed by exclamation marks and shouting, and whether the text shouts."""
    exclamations = min(text.count("!"), _MAX_EXCLAMATIONS)
    if exclamations and total:
        total += math.copysign(_EXCLAMATION_STEP * exclamations, total)
        if total < 0 and exclamations > 1:
            reasons.append("exclamation marks")
    # Acronyms (VPN, SSO, ADFS) are capitals too; shouting means long words and most of the text.
    capitals = [token for token in tokens if len(token) > 1 and token.isupper()]
    shouting = sum(len(token) >= 4 for token in capitals) >= 3 and len(capitals) * 10 >= len(tokens) * 6
    if shouting:
        total -= 1.0
        reasons.append("shouting (mostly capital letters)")
    return total, shouting


def score_sentiment(text: str) -> Sentiment:
    """Score the mood of `text` in [-1, 1] and say whether the requester is frustrated, with reasons."""
    text = text.replace("\u2019", "'")
    reasons: list[str] = []
    total = 0.0
    strong_cue = False
    for phrase in _PHRASES:
        match = phrase.pattern.search(text)
        if match:
            total += phrase.valence
            strong_cue = True
            reasons.append(f"{phrase.reason}: '{match.group().lower()}'")
            # The phrase's own words ("thanks for nothing") must not be scored again one by one.
            text = phrase.pattern.sub(" ", text)
    tokens = _TOKEN.findall(text)
    total += _lexicon_total(tokens, reasons)
    if any(token.lower() in _PROFANITY for token in tokens):
        strong_cue = True
        reasons.append("profanity")
    total, shouting = _emphasis(text, tokens, total, reasons)
    score = max(-1.0, min(1.0, total / math.sqrt(total * total + _SQUASH_ALPHA)))
    frustrated = score <= FRUSTRATED_BELOW or ((strong_cue or shouting) and score < 0)
    return Sentiment(score=round(score, 3), frustrated=frustrated, reasons=reasons if score < 0 else [])
