"""`deskpilot pilot report`: how a capability in shadow or suggest mode compares with what people did.

For triage: every triage decision of the period that an AI switch held back (its `governance_mode`) and whose
ticket has since been resolved or closed is compared with the ticket's final category. Agreement is the share
of those where the AI's category was the final one; the time that would have been saved counts
`kpi_minutes_saved_per_triage` for each agreement; disagreements are the triages that would have been wrong.

For chat answers: every answer decision an AI switch held back (shadow, suggest or off: the chat opened a ticket
instead) whose ticket people have since resolved is compared with what they did: the articles the desk's last
public reply cites. The AI agreed when it would have answered from an article the desk cited, or would have
handed over where the desk cited none; it would have been wrong when it would have answered from an article the
desk did not cite (or a reviewer marked that answer wrong or unsafe), and it missed a deflection when it would
have handed over a question the desk answered from an article. Each agreed answer would have saved
`kpi_minutes_per_ticket` (the ticket would not have reached a person).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, has
from deskpilot.accounts.principal import Principal
from deskpilot.audit.decisions_models import AiDecision
from deskpilot.audit.enums import DecisionKind
from deskpilot.config import Settings
from deskpilot.conversations.models import Conversation
from deskpilot.errors import PermissionDenied
from deskpilot.governance.enums import ReviewKind, Verdict
from deskpilot.governance.models import AiReview
from deskpilot.kb.history import CITATION
from deskpilot.tickets.enums import MessageKind, TicketStatus
from deskpilot.tickets.models import Ticket, TicketMessage

MAX_DECISIONS = 50_000
FINAL = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


def _may_read(actor: Principal) -> None:
    """Leads and admins (who run the pilot) and whoever reads the KPIs (auditors: the dashboard) may see it."""
    if not (has(actor, Permission.AI_GOVERN) or has(actor, Permission.ANALYTICS_READ)):
        raise PermissionDenied(f"Your role ({actor.role}) may not read the pilot report ({Permission.AI_GOVERN}).")


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
    _may_read(actor)
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


@dataclass(frozen=True)
class WrongAnswer:
    decision_id: int
    ticket_id: int
    ai_article: str | None
    desk_articles: list[str]


@dataclass(frozen=True)
class AnswerPilotReport:
    held_back: int  # answer decisions an AI switch kept from requesters in the period
    compared: int  # of those, on tickets people have resolved since
    agreed: int
    answered_right: int  # agreed answers the AI would have given (each a deflected ticket)
    missed: int  # handed over although the desk answered from an article
    minutes_saved: float
    wrong: list[WrongAnswer]

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.compared if self.compared else None


def _desk_articles(session: Session, ticket_ids: list[int]) -> dict[int, list[str]]:
    """Per ticket, the articles the desk's last public reply cites (in order)."""
    last: dict[int, str] = {}
    for ticket_id, body in session.execute(
            select(TicketMessage.ticket_id, TicketMessage.body).join(Ticket, Ticket.id == TicketMessage.ticket_id)
            .where(TicketMessage.ticket_id.in_(ticket_ids), TicketMessage.kind == MessageKind.PUBLIC_REPLY,
                   TicketMessage.author_id.is_not(None), TicketMessage.author_id != Ticket.requester_id)
            .order_by(TicketMessage.id)):
        last[ticket_id] = body
    return {t: list(dict.fromkeys(slug for slug, _ in CITATION.findall(body))) for t, body in last.items()}


def answer_report(session: Session, *, actor: Principal, settings: Settings, since: datetime) -> AnswerPilotReport:
    """Held-back chat answers since `since` against what the desk answered on the tickets the chat opened."""
    _may_read(actor)
    rows = session.execute(
        select(AiDecision.id, AiDecision.explanation, AiDecision.abstained, AiDecision.sources, Ticket.id,
               Ticket.status)
        .join(Conversation, (AiDecision.subject_type == "conversation")
              & (AiDecision.subject_id == cast(Conversation.id, String)))
        .outerjoin(Ticket, Ticket.id == Conversation.ticket_id)
        .where(AiDecision.kind == DecisionKind.ANSWER, AiDecision.created_at >= since)
        .order_by(AiDecision.id).limit(MAX_DECISIONS)).all()
    held = [r for r in rows if isinstance(r[1], dict) and "governance_mode" in r[1]]
    done = [r for r in held if r[4] is not None and r[5] in FINAL]
    desk = _desk_articles(session, [r[4] for r in done]) if done else {}
    verdicts = {ref: verdict for ref, verdict in session.execute(select(AiReview.item_ref, AiReview.verdict).where(
        AiReview.kind == ReviewKind.ANSWER, AiReview.verdict.is_not(None),
        AiReview.item_ref.in_([r[0] for r in done])))} if done else {}
    agreed = answered_right = missed = 0
    wrong = []
    for decision_id, _, abstained, sources, ticket_id, _ in done:
        cited = desk.get(ticket_id, [])
        first = sources[0] if isinstance(sources, list) and sources and isinstance(sources[0], dict) else {}
        article = None if abstained else first.get("slug")
        verdict = verdicts.get(decision_id)
        if article is None:
            agreed += not cited
            missed += bool(cited)
        elif (article in cited and verdict is None) or verdict is Verdict.CORRECT:
            agreed += 1
            answered_right += 1
        else:
            wrong.append(WrongAnswer(decision_id, ticket_id, article, cited))
    return AnswerPilotReport(len(held), len(done), agreed, answered_right, missed,
                             answered_right * settings.kpi_minutes_per_ticket, wrong)
