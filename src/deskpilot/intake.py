"""Intake: a new ticket from any channel is triaged on creation, and agents' changes to what triage
decided are stored as feedback. This flow sits above the tickets and triage areas."""

from __future__ import annotations

from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.audit import decisions
from deskpilot.audit.decisions_models import AiDecision, AiFeedback
from deskpilot.audit.enums import DecisionKind, FeedbackAction
from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.errors import NotFound
from deskpilot.governance import ai_settings, switches
from deskpilot.governance.enums import Capability
from deskpilot.tickets import facts, requester_limits
from deskpilot.tickets import service as tickets
from deskpilot.tickets.access import require_work
from deskpilot.tickets.enums import Level, Priority
from deskpilot.tickets.models import Ticket
from deskpilot.tickets.priority import priority_for
from deskpilot.tickets.schemas import TicketCreate, TicketTriage, TicketUpdate
from deskpilot.triage import corrections
from deskpilot.triage.engine import TriageEngine
from deskpilot.triage.pipeline import TriageResult
from deskpilot.triage.service import TriageOutcome, triage_request
from deskpilot.triage.similar import MajorIncident, described
from deskpilot.triage.sla_suggestion import suggest_sla

TRIAGE = Principal.system("triage")
TRIAGED_FIELDS = {"category": "category", "queue": "queue_id", "priority": "priority"}


def auto_apply_fields(settings: Settings) -> set[str]:
    return {f.strip() for f in settings.triage_auto_apply.split(",") if f.strip() in TRIAGED_FIELDS}


def _triaged(data: TicketCreate, outcome: TriageOutcome, auto: set[str]) -> TicketTriage:
    """The fields triage sets: those auto-applied by the review gate that the requester left empty."""
    result = outcome.result
    return TicketTriage(
        category=result.category if "category" in auto and data.category is None and not result.abstained else None,
        queue_id=outcome.queue_id if "queue" in auto and data.queue_id is None else None,
        priority=result.priority if "priority" in auto and data.priority is None else None)


def open_ticket(session: Session, *, actor: Principal, data: TicketCreate, settings: Settings,
                triage: TriageEngine, triaged: TriageOutcome | None = None,
                requester_text: str | None = None) -> tuple[Ticket, TriageOutcome]:
    """Triage the request once with the runtime's `triage` engine (or take `triaged`, a triage the caller
    already ran on it) and create the ticket in one write with what triage is confident about (per the review gate).

    `requester_text`, when the description is composed by the desk (a chat hand-off's summary and transcript),
    is the requester's own words: triage, similar tickets and major-incident linking judge only those.

    When triage abstains the ticket goes to the fallback (human triage) queue without a category. A requester
    past the hourly ticket limit is refused (RateLimited) before anything is triaged.
    """
    settings = ai_settings.effective(session, settings)
    requester_limits.check_new_ticket(session, actor=actor, settings=settings)
    stated = data.model_fields_set
    body = data.description if requester_text is None else requester_text
    outcome = triaged or triage_request(session, engine=triage, subject=data.subject, body=body,
                                        requester_id=data.requester_id or actor.user_id,
                                        stated_impact=data.impact if "impact" in stated else None,
                                        stated_urgency=data.urgency if "urgency" in stated else None,
                                        settings=settings)
    # Off, shadow or suggest (an AI switch): triage is recorded on the ticket but sets none of its fields.
    held = switches.withheld(session, Capability.TRIAGE_AUTO_APPLY, decision_id=outcome.decision_id,
                             channel=data.channel, queue=outcome.queue)
    ticket = tickets.create(session, actor=actor, data=data,
                            triaged=_triaged(data, outcome, set() if held else auto_apply_fields(settings)))
    facts.link_triage(session, decision_id=outcome.decision_id, ticket_id=ticket.id)
    if outcome.result.vector is not None:
        # Stored once for every process: the next mail's major-incident check reads it instead of embedding.
        triage.ticket_vectors.remember(session, ticket=ticket, vector=outcome.result.vector)
    return ticket, outcome


def recorded_triage(session: Session, *, decision_id: int) -> TriageOutcome:
    """The outcome of a triage decision recorded earlier (say, on a chat's question), for the ticket it opens.

    Nothing is embedded or searched again: similar tickets are read back by id, the SLA is suggested for now.
    """
    decision = decisions.get(session, decision_id=decision_id)
    out, why = decision.outputs, decision.explanation
    impact, urgency = Level(out.get("impact", Level.MEDIUM)), Level(out.get("urgency", Level.MEDIUM))
    priority = Priority(out["priority"]) if out.get("priority") else priority_for(impact, urgency)
    result = TriageResult(
        language=str(out.get("language", "")), redacted_text=decision.input_redacted, pii_found=[],
        category=out.get("category"), confidence=decision.confidence, abstained=decision.abstained,
        alternatives=[(str(label), float(score)) for label, score in why.get("alternatives", [])],
        top_terms=list(why.get("top_terms", [])), impact=impact, urgency=urgency,
        priority=priority, priority_source=str(why.get("priority_source", "")),
        sentiment=float(out.get("sentiment", 0.0)), frustrated=bool(out.get("frustrated")),
        reasons=list(why.get("reasons", [])))
    queue_id = out.get("queue_id")
    incident = why.get("major_incident")
    return TriageOutcome(
        result=result, queue_id=queue_id, queue=out.get("queue"),
        sla=suggest_sla(session, priority=priority, queue_id=queue_id, now=utcnow()),
        similar=described(session, [(int(s["ticket_id"]), float(s["score"])) for s in decision.sources]),
        major_incident=MajorIncident(**incident) if incident else None, model_version=decision.model_version,
        decision_id=decision.id)


def latest_triage(session: Session, *, ticket_id: int) -> AiDecision | None:
    found = decisions.for_subject(session, subject_type="ticket", subject_id=ticket_id, kind=DecisionKind.TRIAGE)
    return found[-1] if found else None


def update_ticket(session: Session, *, actor: Principal, ticket_id: int, data: TicketUpdate) -> Ticket:
    """Update a ticket; a person changing a triaged field records whether triage was right."""
    before = tickets.get(session, actor=actor, ticket_id=ticket_id)
    old = {field: getattr(before, column) for field, column in TRIAGED_FIELDS.items()}
    ticket = tickets.update(session, actor=actor, ticket_id=ticket_id, data=data)
    decision = latest_triage(session, ticket_id=ticket_id)
    if decision is None:
        return ticket
    for field, column in TRIAGED_FIELDS.items():
        if column not in data.model_fields_set or getattr(ticket, column) == old[field]:
            continue
        suggested = decision.outputs.get("queue_id" if field == "queue" else field)
        final = getattr(ticket, column)
        action = FeedbackAction.ACCEPTED if str(final) == str(suggested) else FeedbackAction.OVERRIDDEN
        decisions.record_feedback(session, decision_id=decision.id, field=field, action=action,
                                  suggested_value=None if suggested is None else str(suggested),
                                  final_value=None if final is None else str(final), actor_id=actor.user_id,
                                  actor_name=actor.username)
        if field == "category" and action is FeedbackAction.OVERRIDDEN and final:
            corrections.remember(session, actor=actor, text=decision.input_redacted, category=str(final),
                                 ticket_id=ticket_id)
    return ticket


def triage_feedback(session: Session, *, actor: Principal, ticket_id: int, field: str, action: FeedbackAction,
                    reason: str | None = None) -> AiFeedback:
    """An agent accepts or rejects one triage suggestion on a ticket they can work on."""
    ticket = tickets.get(session, actor=actor, ticket_id=ticket_id)
    require_work(session, actor, ticket)
    decision = latest_triage(session, ticket_id=ticket_id)
    if decision is None or field not in TRIAGED_FIELDS:
        raise NotFound(f"No triage suggestion for {field!r} on DP-{ticket_id}.")
    suggested = decision.outputs.get("queue_id" if field == "queue" else field)
    return decisions.record_feedback(session, decision_id=decision.id, field=field, action=action,
                                     suggested_value=None if suggested is None else str(suggested),
                                     final_value=str(getattr(ticket, TRIAGED_FIELDS[field])),
                                     actor_id=actor.user_id, actor_name=actor.username, reason=reason)
