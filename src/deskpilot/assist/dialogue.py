"""Queries built from a conversation: the current utterance weighs most, older turns fade."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Speaker(StrEnum):
    USER = "user"
    AGENT = "agent"


@dataclass(frozen=True)
class DialogueTurn:
    speaker: Speaker
    text: str


def parse_context(context: str) -> tuple[DialogueTurn, ...]:
    """Earlier turns, newest first, from `role:utterance` parts joined by ` || ` (the dataset format).

    A part without a known role is taken as the user's; empty parts are skipped.
    """
    turns = []
    for part in context.split(" || ") if context.strip() else []:
        role, sep, text = part.partition(":")
        speaker = Speaker(role.strip().lower()) if sep and role.strip().lower() in {"user", "agent"} else None
        if speaker is None:
            speaker, text = Speaker.USER, part
        if text.strip():
            turns.append(DialogueTurn(speaker, text.strip()))
    return tuple(turns)


@dataclass(frozen=True)
class RetrievalQuery:
    """What the user just said plus the earlier turns of the conversation (newest first)."""

    text: str
    context: tuple[DialogueTurn, ...] = ()

    @classmethod
    def from_dialogue(cls, text: str, context: str = "") -> RetrievalQuery:
        return cls(text=text.strip(), context=parse_context(context))

    def weighted_turns(self, *, decay: float, agent_weight: float, max_turns: int) -> list[tuple[str, float]]:
        """(text, weight) pairs: the utterance weighs 1, the n-th earlier turn `decay**n` (× agent weight)."""
        weighted = [(self.text, 1.0)]
        for age, turn in enumerate(self.context[: max_turns - 1], start=1):
            factor = agent_weight if turn.speaker is Speaker.AGENT else 1.0
            weighted.append((turn.text, decay**age * factor))
        return [(text, weight) for text, weight in weighted if weight > 0 and text]
