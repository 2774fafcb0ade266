"""The shape of a grounded answer: cited sentences, confidence, abstention."""

from __future__ import annotations

import re
from dataclasses import dataclass

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


@dataclass(frozen=True)
class GroundedAnswer:
    """An answer whose every sentence is cited, or an abstention with a hand-off message."""

    sentences: tuple[CitedSentence, ...]
    confidence: float
    abstained: bool
    text: str
    rephrased: bool = False

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
