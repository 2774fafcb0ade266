"""The shape of a grounded answer: cited sentences, confidence, abstention, and what the desk does with it."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

STEP = re.compile(r"^\s*(?:\d{1,3}[.)]|[-*+•])\s+")


@dataclass(frozen=True)
class CitedSentence:
    """A sentence copied verbatim from `chunk_id` of article version (`slug`, `version`)."""

    text: str
    slug: str
    version: int
    chunk_id: str

    @property
    def citation(self) -> str:
        return f"[{self.slug} v{self.version}]"


class AnswerDecision(StrEnum):
    """What the desk does with an answer: show it, show it with a caution, or hand over to a person."""

    ANSWER = "answer"
    CAUTION = "answer_with_caution"
    HAND_OVER = "hand_over"


@dataclass(frozen=True)
class GroundedAnswer:
    """An answer whose every sentence is cited, or an abstention with a hand-off message.

    `confidence` is the retrieval's (the top article is right), which `abstained` is decided on;
    `answer_probability` the calibrated probability that the answer itself is right (NaN when no
    scorer rated it), which decides between answering outright and answering with a caution.
    An abstention is always a hand-over.
    """

    sentences: tuple[CitedSentence, ...]
    confidence: float
    abstained: bool
    text: str
    rephrased: bool = False
    answer_probability: float = math.nan
    decision: AnswerDecision = AnswerDecision.ANSWER

    def __post_init__(self) -> None:
        if self.abstained and self.decision is not AnswerDecision.HAND_OVER:
            object.__setattr__(self, "decision", AnswerDecision.HAND_OVER)

    @property
    def citations(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.citation for s in self.sentences))


def render(sentences: tuple[CitedSentence, ...]) -> str:
    """Sentences each followed by their citation; steps stay one per line."""
    parts = []
    for sentence in sentences:
        joiner = "\n" if STEP.match(sentence.text) else " "
        parts.append(f"{joiner}{sentence.text} {sentence.citation}")
    return "".join(parts).strip()
