"""Text normalisation for everything triage reads: one canonical form for subject and body.

Unicode is folded with NFKC (full-width digits, ligatures and non-breaking spaces become their plain
forms, so PII and keyword patterns see one spelling), invisible control and format characters are
removed (they are used to hide words from filters), and whitespace is collapsed while paragraph breaks
are kept because later stages (quote and signature handling) rely on them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_TEXT_CHARS = 20_000
# Bound the work NFKC does on pathological inputs (a pasted log of megabytes) before the exact cap.
_RAW_SLACK_FACTOR = 4
# Zero-width joiners shape Arabic, Indic and emoji text; removing them would change words.
_KEPT_FORMAT_CHARS = frozenset({"\u200c", "\u200d"})
_LINE_BREAKS = re.compile(r"\r\n|[\r\u2028\u2029\x0b\x0c\x85]")
_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
_SPACE_AROUND_NEWLINE = re.compile(r" ?\n ?")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True, slots=True)
class NormalisedText:
    """Subject and body in canonical form; `truncated` says whether either was cut to the cap."""

    subject: str
    body: str
    truncated: bool

    @property
    def combined(self) -> str:
        """Subject and body as one text, the way the classifiers and the redactor read a ticket."""
        return "\n\n".join(part for part in (self.subject, self.body) if part)


def _drop_invisible(text: str) -> str:
    return "".join(
        char
        for char in text
        if char in "\n\t"
        or char in _KEPT_FORMAT_CHARS
        or unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    )


def normalise_text(text: str, *, max_chars: int = MAX_TEXT_CHARS) -> tuple[str, bool]:
    """Return `text` in canonical form and whether it was cut to `max_chars` characters."""
    truncated = len(text) > max_chars * _RAW_SLACK_FACTOR
    if truncated:
        text = text[: max_chars * _RAW_SLACK_FACTOR]
    # Invisible characters go before NFKC so that what they separated composes as it would when typed.
    text = _drop_invisible(_LINE_BREAKS.sub("\n", text))
    text = _LINE_BREAKS.sub("\n", unicodedata.normalize("NFKC", text))
    text = _HORIZONTAL_SPACE.sub(" ", text)
    text = _SPACE_AROUND_NEWLINE.sub("\n", text)
    text = _BLANK_LINES.sub("\n\n", text).strip()
    if len(text) > max_chars:
        text = text[:max_chars].rstrip()
        truncated = True
    return text, truncated


def normalise_ticket_text(subject: str, body: str, *, max_chars: int = MAX_TEXT_CHARS) -> NormalisedText:
    """Normalise a ticket's subject (one line) and body; the cap applies to each separately."""
    clean_subject, subject_cut = normalise_text(subject, max_chars=max_chars)
    clean_body, body_cut = normalise_text(body, max_chars=max_chars)
    return NormalisedText(
        subject=" ".join(clean_subject.split()),
        body=clean_body,
        truncated=subject_cut or body_cut,
    )
