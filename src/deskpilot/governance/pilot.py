"""`deskpilot pilot report`: how a capability in shadow or suggest mode compares with what people did.

For triage: every triage decision of the period that an AI switch held back (its `governance_mode`) and whose
ticket has since been resolved or closed is compared with the ticket's final category. Agreement is the share
of those where the AI's category was the final one; the time that would have been saved counts
`kpi_minutes_saved_per_triage` for each agreement; disagreements are the triages that would have been wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.audit.decisions_models import AiDecision
from deskpilot.audit.enums import DecisionKind
from deskpilot.config import Settings
from deskpilot.tickets.enums import TicketStatus
from deskpilot.tickets.models import Ticket

MAX_DECISIONS = 50_000


@dataclass(frozen=True)
class PilotReport:
    held_back: int  # decisions an AI switch kept from people in the period
    compared: int  # of those, on tickets people have resolved since
    agreed: int
    minutes_saved: float
    wrong: list[tuple[int, str | None, str | None]]  # (ticket id, AI category, final category)

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.compared if self.compared else None


def triage_report(session: Session, *, actor: Principal, settings: Settings, since: datetime) -> PilotReport:
    """Held-back triage decisions since `since` against the categories people settled on."""
    require(actor, Permission.AI_GOVERN)
    rows = session.execute(
        select(AiDecision.category, AiDecision.explanation, AiDecision.abstained, Ticket.id, Ticket.category,
               Ticket.status)
        .join(Ticket, Ticket.intake_triage_id == AiDecision.id)
        .where(AiDecision.kind == DecisionKind.TRIAGE, AiDecision.created_at >= since)
        .limit(MAX_DECISIONS))
    held = compared = agreed = 0
    wrong = []
    for ai_category, explanation, abstained, ticket_id, final, status in rows:
        if not isinstance(explanation, dict) or "governance_mode" not in explanation:
            continue
        held += 1
        if status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            continue
        compared += 1
        if not abstained and ai_category == final:
            agreed += 1
        else:
            wrong.append((ticket_id, None if abstained else ai_category, final))
    return PilotReport(held, compared, agreed, agreed * settings.kpi_minutes_saved_per_triage, wrong)
