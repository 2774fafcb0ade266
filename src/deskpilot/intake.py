"""Intake: a new ticket from any channel is triaged on creation, and agents' changes to what triage
decided are stored as feedback. This flow sits above the tickets and triage areas."""

from __future__ import annotations

from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.audit import decisions
from deskpilot.audit.decisions_models import AiDecision, AiFeedback, DecisionKind, FeedbackAction
from deskpilot.config import Settings
from deskpilot.errors import NotFound
from deskpilot.tickets import facts
from deskpilot.tickets import service as tickets
from deskpilot.tickets.access import require_work
from deskpilot.tickets.models import Ticket
from deskpilot.tickets.schemas import TicketCreate, TicketUpdate
from deskpilot.triage.service import TriageOutcome, triage_request

TRIAGE = Principal.system("triage")
TRIAGED_FIELDS = {"category": "category", "queue": "queue_id", "priority": "priority"}


def auto_apply_fields(settings: Settings) -> set[str]:
    return {f.strip() for f in settings.triage_auto_apply.split(",") if f.strip() in TRIAGED_FIELDS}


def _changes(data: TicketCreate, outcome: TriageOutcome, auto: set[str]) -> dict[str, object]:
    result, changes = outcome.result, dict[str, object]()
    if "category" in auto and data.category is None and not result.abstained:
        changes["category"] = result.category
    if "queue" in auto and data.queue_id is None and outcome.queue_id is not None:
        changes["queue_id"] = outcome.queue_id
    if "priority" in auto and data.priority is None:
        changes["priority"] = result.priority
    return changes


def open_ticket(session: Session, *, actor: Principal, data: TicketCreate, settings: Settings
                ) -> tuple[Ticket, TriageOutcome]:
    """Create the ticket, triage it, and apply what triage is confident about (per the review gate).

    When triage abstains the ticket goes to the fallback (human triage) queue without a category.
    """
    ticket = tickets.create(session, actor=actor, data=data)
    outcome = triage_request(session, settings=settings, subject=data.subject, body=data.description,
                             requester_id=ticket.requester_id, exclude_ticket=ticket.id)
    facts.link_triage(session, decision_id=outcome.decision_id, ticket_id=ticket.id)
    changes = _changes(data, outcome, auto_apply_fields(settings))
    if changes:
        tickets.update(session, actor=TRIAGE, ticket_id=ticket.id, data=TicketUpdate.model_validate(changes))
    return ticket, outcome


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
