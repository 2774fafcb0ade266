"""The triage pipeline on one request: normalise → language → PII redaction → category → priority →
sentiment → confidence and abstention. Pure: the caller supplies the model and the allowed categories."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from deskpilot.ml.embeddings import Embedder, Vectors
from deskpilot.ml.features import EMBED_MAX_CHARS
from deskpilot.ml.text_classifier import ClassPrediction
from deskpilot.tickets.enums import Level, Priority
from deskpilot.tickets.priority import priority_for
from deskpilot.triage.language import detect_language
from deskpilot.triage.models import Criticality
from deskpilot.triage.normalise import normalise_ticket_text
from deskpilot.triage.pii import redact_pii
from deskpilot.triage.pii_names import PeopleFinder
from deskpilot.triage.sentiment import score_sentiment
from deskpilot.triage.signals import assess_impact_urgency, with_service_criticality


class Classifier(Protocol):
    @property
    def labels(self) -> tuple[str, ...]: ...

    def predict(self, texts: Sequence[str], *, vectors: Vectors | None = None) -> list[ClassPrediction]: ...


@dataclass(frozen=True)
class TriageResult:
    language: str
    redacted_text: str
    pii_found: list[str]
    category: str | None
    confidence: float
    abstained: bool
    alternatives: list[tuple[str, float]]
    top_terms: list[str]
    impact: Level
    urgency: Level
    priority: Priority
    priority_source: str
    sentiment: float
    frustrated: bool
    reasons: list[str] = field(default_factory=list)
    # The redacted text's sentence vector, embedded once and passed on (similar tickets, major incident).
    vector: Vectors | None = field(default=None, repr=False, compare=False)


def _closed_set(prediction: ClassPrediction, allowed: Collection[str]) -> tuple[str | None, float, bool]:
    """The best label inside the configured set; a model label the desk does not use is never returned."""
    ranked = [(prediction.label, prediction.confidence, prediction.abstained)]
    ranked += [(alt.label, alt.score, True) for alt in prediction.alternatives if alt.label != prediction.label]
    for label, score, abstained in ranked:
        if label in allowed:
            return label, float(score), abstained
    return None, 0.0, True


def _with_learned_priority(matrix: Priority, learned: ClassPrediction, reasons: list[str]) -> tuple[Priority, str]:
    """The text model is one signal: when confident and more urgent than impact × urgency it raises the
    priority by one step; it never lowers what the requester's words and form fields say."""
    if learned.abstained or learned.label not in Priority.__members__:
        return matrix, "impact × urgency"
    order = list(Priority)
    proposed = order.index(Priority(learned.label))
    if proposed >= order.index(matrix):
        return matrix, f"impact × urgency (history model agrees or says lower: {learned.label})"
    raised = order[order.index(matrix) - 1]
    reasons.append(f"similar past tickets were {learned.label} ({learned.confidence:.2f}): raised one step")
    return raised, f"impact × urgency, raised by the history model ({learned.confidence:.2f})"


def run_pipeline(*, subject: str, body: str, classifier: Classifier | None, allowed: Collection[str],
                 abstain_below: float, requester_is_vip: bool = False,
                 priority_model: Classifier | None = None, embedder: Embedder | None = None,
                 model_note: str | None = None, stated_impact: Level | None = None,
                 stated_urgency: Level | None = None,
                 criticality: Mapping[str, Criticality] | None = None,
                 people: PeopleFinder | None = None) -> TriageResult:
    """Triage one request. With no classifier, or below `abstain_below`, the category is withheld. With an
    `embedder` the redacted text is embedded once, for both models and for the caller (`TriageResult.vector`).
    `model_note` says which kind of category model decided (shown to the agent with the reasons). `criticality`
    (per category, the service it stands for) raises the impact once the category is decided. `people` finds names
beyond the cued ones (the desk's users, the named-entity model) for the redaction."""
    text = normalise_ticket_text(subject, body)
    redaction = redact_pii(text.combined, people=people)
    signals = assess_impact_urgency(redaction.text, requester_is_vip=requester_is_vip,
                                    stated_impact=stated_impact, stated_urgency=stated_urgency)
    mood = score_sentiment(redaction.text)
    reasons = list(signals.reasons) + list(mood.reasons)
    vectors = embedder.encode([redaction.text[:EMBED_MAX_CHARS]]) if embedder is not None else None
    category, confidence, abstained, alternatives, terms = None, 0.0, True, [], []
    if classifier is None:
        reasons.append("no triage model is trained yet (run `deskpilot train triage`)")
    else:
        if model_note:
            reasons.append(model_note)
        prediction = classifier.predict([redaction.text], vectors=vectors)[0]
        category, confidence, abstained = _closed_set(prediction, allowed)
        abstained = abstained or confidence < abstain_below or category is None
        alternatives = [(a.label, round(a.score, 4)) for a in prediction.alternatives if a.label in allowed]
        terms = [t.term for t in prediction.top_terms]
        if abstained:
            reasons.append(f"category confidence {confidence:.2f} is too low: routed to human triage")
        elif category is not None and criticality:
            service = with_service_criticality(signals, service=category,
                                               criticality=criticality.get(category, Criticality.STANDARD))
            reasons += service.reasons[len(signals.reasons):]
            signals = service
    priority, source = priority_for(signals.impact, signals.urgency), "impact × urgency"
    if priority_model is not None:
        learned = priority_model.predict([redaction.text], vectors=vectors)[0]
        priority, source = _with_learned_priority(priority, learned, reasons)
    return TriageResult(
        language=detect_language(redaction.text).code, redacted_text=redaction.text,
        pii_found=sorted({f.type.value for f in redaction.findings}), category=category,
        confidence=round(confidence, 4), abstained=abstained, alternatives=alternatives, top_terms=terms,
        impact=signals.impact, urgency=signals.urgency, priority=priority, priority_source=source,
        sentiment=round(mood.score, 3), frustrated=mood.frustrated, reasons=reasons,
        vector=vectors[0] if vectors is not None else None)
