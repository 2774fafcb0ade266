"""/api/v1/triage: triage any text; the triage of a ticket and feedback on it."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, status

from deskpilot import intake
from deskpilot.accounts.permissions import Permission, require
from deskpilot.api.deps import CurrentPrincipal, IdPath, RuntimeDep, SessionDep, SettingsInForce
from deskpilot.triage import service as triage
from deskpilot.triage.schemas import (
    EscalationStepRead,
    ExplanationRead,
    MajorIncidentRead,
    SimilarTicketRead,
    SlaRead,
    TriageFeedbackCreate,
    TriageFeedbackRead,
    TriageRead,
    TriageRequest,
)
from deskpilot.triage.service import TriageOutcome, triage_request

router = APIRouter(prefix="/api/v1", tags=["triage"])


def to_read(outcome: TriageOutcome) -> TriageRead:
    result, sla = outcome.result, outcome.sla
    return TriageRead(
        decision_id=outcome.decision_id, model_version=outcome.model_version, category=result.category,
        queue=outcome.queue, queue_id=outcome.queue_id, priority=result.priority, impact=result.impact,
        urgency=result.urgency, confidence=result.confidence, abstained=result.abstained, language=result.language,
        sentiment=result.sentiment, frustrated=result.frustrated, pii_redacted=result.pii_found,
        sla=SlaRead(policy=sla.policy, calendar=sla.calendar, first_response_minutes=sla.first_response_minutes,
                    resolution_minutes=sla.resolution_minutes, first_response_due_at=sla.first_response_due_at,
                    resolution_due_at=sla.resolution_due_at, reason=sla.reason),
        escalation_path=[EscalationStepRead(**asdict(step)) for step in sla.escalation_path],
        similar_tickets=[SimilarTicketRead(number=f"DP-{s.ticket_id}", **asdict(s)) for s in outcome.similar],
        major_incident=MajorIncidentRead(**asdict(outcome.major_incident)) if outcome.major_incident else None,
        explanation=ExplanationRead(top_terms=result.top_terms, alternatives=result.alternatives,
                                    reasons=result.reasons, priority_source=result.priority_source),
    )


@router.post("/triage", operation_id="triage_text")
def triage_text(data: TriageRequest, session: SessionDep, actor: CurrentPrincipal, ai: RuntimeDep,
                settings: SettingsInForce) -> TriageRead:
    """Category, priority, queue, confidence, abstention, SLA, escalation path, similar tickets, explanation."""
    require(actor, Permission.TICKET_WORK)
    outcome = triage_request(session, engine=ai.triage, subject=data.subject, body=data.text,
                             requester_id=data.requester_id, settings=settings)
    return to_read(outcome)


@router.post("/tickets/{ticket_id}/triage", operation_id="retriage_ticket")
def retriage_ticket(ticket_id: IdPath, session: SessionDep, actor: CurrentPrincipal, ai: RuntimeDep,
                    settings: SettingsInForce) -> TriageRead:
    """Triage an existing ticket again (suggestions only; nothing on the ticket changes)."""
    return to_read(triage.retriage_ticket(session, actor=actor, engine=ai.triage, ticket_id=ticket_id,
                                          settings=settings))


@router.post("/tickets/{ticket_id}/triage/feedback", status_code=status.HTTP_201_CREATED,
             operation_id="triage_feedback")
def give_feedback(ticket_id: IdPath, data: TriageFeedbackCreate, session: SessionDep,
                  actor: CurrentPrincipal) -> TriageFeedbackRead:
    """Accept or reject one triage suggestion (stored for the KPIs and the next training run)."""
    feedback = intake.triage_feedback(session, actor=actor, ticket_id=ticket_id, field=data.field,
                                      action=data.action, reason=data.reason)
    return TriageFeedbackRead(id=feedback.id, field=feedback.field, action=feedback.action,
                              suggested_value=feedback.suggested_value, final_value=feedback.final_value)
