"""Triage a request against the desk's configuration and history, and record the decision."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.models import User
from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.audit import decisions
from deskpilot.audit import service as audit
from deskpilot.audit.enums import DecisionKind
from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.tickets import facts
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import Level
from deskpilot.tickets.models import Queue
from deskpilot.triage import categories
from deskpilot.triage.engine import PRIORITY_COMPONENT, TriageEngine
from deskpilot.triage.models import TriageCategory
from deskpilot.triage.pipeline import TriageResult, run_pipeline
from deskpilot.triage.similar import MajorIncident, SimilarTicket, detect_major_incident
from deskpilot.triage.sla_suggestion import SlaSuggestion, suggest_sla


@dataclass(frozen=True)
class TriageOutcome:
    result: TriageResult
    queue_id: int | None
    queue: str | None
    sla: SlaSuggestion
    similar: list[SimilarTicket]
    major_incident: MajorIncident | None
    model_version: str
    decision_id: int

    def outputs(self) -> dict[str, Any]:
        """The decided values, as stored in the AI decision record."""
        return {"category": self.result.category, "queue": self.queue, "queue_id": self.queue_id,
                "priority": self.result.priority, "impact": self.result.impact, "urgency": self.result.urgency,
                "language": self.result.language, "sentiment": self.result.sentiment,
                "frustrated": self.result.frustrated, "sla_policy": self.sla.policy}


def _queue_for(session: Session, configured: Sequence[TriageCategory], category: str | None,
               fallback: str) -> Queue | None:
    """The decided category's default queue among the `configured` categories, else the fallback queue."""
    queue_id = next((c.default_queue_id for c in configured if c.name == category), None) if category else None
    queue = session.get(Queue, queue_id) if queue_id else None
    if queue is None:
        queue = session.scalar(select(Queue).where(Queue.name == fallback))
    return queue


def triage_request(session: Session, *, engine: TriageEngine, subject: str, body: str,
                   requester_id: int | None = None, exclude_ticket: int | None = None,
                   stated_impact: Level | None = None, stated_urgency: Level | None = None,
                   settings: Settings | None = None) -> TriageOutcome:
    """Classify, prioritise and route one request with the runtime's triage `engine`; suggest its SLA and
    escalation path; find similar resolved tickets and a probable major incident; store the whole decision
    (redacted). The redacted text is embedded once, for the models and the similar-tickets search.
    `stated_impact` / `stated_urgency` are what the requester chose on a form (floors for the signals).
    `settings` are the request's (with the administrators' overrides); the engine's process settings otherwise."""
    settings, models = settings or engine.settings, engine.models()
    requester = session.get(User, requester_id) if requester_id else None
    configured = categories.get_all(session)
    allowed = {c.name for c in configured}
    category_model = engine.category_model(session, models)
    result = run_pipeline(subject=subject, body=body, classifier=category_model.classifier, allowed=allowed,
                          abstain_below=settings.triage_abstain_below,
                          requester_is_vip=bool(requester and requester.is_vip), priority_model=models.priority,
                          embedder=engine.embedder, model_note=category_model.note,
                          stated_impact=stated_impact, stated_urgency=stated_urgency,
                          criticality={c.name: c.criticality for c in configured},
                          people=engine.people.finder(session))
    queue = _queue_for(session, configured, None if result.abstained else result.category,
                       settings.triage_fallback_queue)
    vector = result.vector if result.vector is not None else engine.embedder.encode([result.redacted_text])[0]
    similar = engine.tickets.nearest(session, vector, k=5, exclude=exclude_ticket)
    incident = detect_major_incident(session, engine.ticket_vectors, vector, exclude=exclude_ticket)
    model_version = f"{category_model.version}+{PRIORITY_COMPONENT}:{models.priority_version or 'none'}"
    sla = suggest_sla(session, priority=result.priority, queue_id=queue.id if queue else None, now=utcnow())
    decision = decisions.record_decision(
        session, kind=DecisionKind.TRIAGE, model_version=model_version, input_redacted=result.redacted_text,
        outputs={}, confidence=result.confidence, abstained=result.abstained,
        sources=[{"ticket_id": s.ticket_id, "score": s.score} for s in similar],
        explanation={"top_terms": result.top_terms, "alternatives": result.alternatives, "reasons": result.reasons,
                     "priority_source": result.priority_source, "sla_reason": sla.reason,
                     "major_incident": asdict(incident) if incident else None})
    outcome = TriageOutcome(result=result, queue_id=queue.id if queue else None, queue=queue.name if queue else None,
                            sla=sla, similar=similar, major_incident=incident, model_version=model_version,
                            decision_id=decision.id)
    decision.outputs = audit.jsonable(outcome.outputs())
    return outcome


def retriage_ticket(session: Session, *, actor: Principal, engine: TriageEngine, ticket_id: int,
                    settings: Settings | None = None) -> TriageOutcome:
    """Triage an existing ticket again for the people who work tickets: suggestions only, the ticket keeps its
    fields. The decision is linked to the ticket (the console shows it; the ticket's facts note it)."""
    ticket = tickets.get(session, actor=actor, ticket_id=ticket_id)
    require(actor, Permission.TICKET_WORK)
    outcome = triage_request(session, engine=engine, subject=ticket.subject, body=ticket.description,
                             requester_id=ticket.requester_id, exclude_ticket=ticket.id, settings=settings)
    facts.link_triage(session, decision_id=outcome.decision_id, ticket_id=ticket.id)
    if outcome.result.vector is not None:
        engine.ticket_vectors.remember(session, ticket=ticket, vector=outcome.result.vector)
    return outcome
