"""Draft replies to tickets, for the people who work them: composed from approved articles only and cited,
recorded as AI decisions, and judged by the agent who sends, edits or rejects them.

The console (web/console_ticket.py) and `POST /api/v1/tickets/{id}/draft-reply` both come here, so both
check the same permission: drafting, sending and rejecting are work on the ticket (a requester or an
auditor who can read the ticket may not do them).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.assist.compose import AnswerComposer, agent_draft, draft_reply
from deskpilot.assist.index_store import KbIndex
from deskpilot.assist.retrieval import HybridRetriever
from deskpilot.audit import decisions
from deskpilot.audit.decisions_models import AiDecision, AiFeedback
from deskpilot.audit.enums import DecisionKind, FeedbackAction
from deskpilot.config import Settings
from deskpilot.errors import NotFound
from deskpilot.kb.answering import only_approved
from deskpilot.kb.service import approved_versions
from deskpilot.tickets import service as tickets
from deskpilot.tickets.access import require_work
from deskpilot.tickets.enums import Channel, MessageKind
from deskpilot.tickets.models import Ticket, TicketMessage
from deskpilot.tickets.schemas import MessageCreate
from deskpilot.triage.pii import redact_pii

REPLY = "reply"


def _workable(session: Session, actor: Principal, ticket_id: int) -> Ticket:
    ticket = tickets.get(session, actor=actor, ticket_id=ticket_id)
    require(actor, Permission.TICKET_WORK)
    require_work(session, actor, ticket)
    return ticket


def create(session: Session, *, actor: Principal, settings: Settings, index: KbIndex, ticket_id: int) -> AiDecision:
    """Compose a grounded draft reply to the ticket and record it as a DRAFT decision about the ticket."""
    return compose(session, settings=settings, index=index, ticket=_workable(session, actor, ticket_id))


def compose(session: Session, *, settings: Settings, index: KbIndex, ticket: Ticket,
            question: str | None = None) -> AiDecision:
    """The draft for `ticket` (answering `question`, by default its description), recorded as a DRAFT decision.
    No permission check: `create` checks the agent's; the shared mailbox's drafts are the desk's own work.

    `index` must already be synced; every cited (slug, version) is checked against the database once more, so
    a draft never cites a version that is no longer the approved one.
    """
    asked = question or ticket.description or ticket.subject
    composer = AnswerComposer(HybridRetriever(index), abstain_below=settings.answer_abstain_below)
    draft = draft_reply(asked, composer, context=ticket.subject)
    answer = only_approved(draft.answer, approved_versions(session))
    if answer is not draft.answer:
        draft = agent_draft(answer)
    cited = [{"citation": s.citation, "slug": s.slug, "version": s.version} for s in answer.sentences]
    return decisions.record_decision(
        session, kind=DecisionKind.DRAFT, model_version=f"kb-hybrid/{index.embedder.model_id}",
        input_redacted=redact_pii(asked).text,
        outputs={"text": draft.text, "citations": list(answer.citations)},
        confidence=answer.confidence, abstained=answer.abstained, sources=cited,
        subject_type="ticket", subject_id=ticket.id)


def get(session: Session, *, actor: Principal, ticket_id: int, draft_id: int) -> AiDecision:
    """A draft of a ticket the actor can see; NotFound for anything else, so a forged id shows nothing."""
    tickets.get(session, actor=actor, ticket_id=ticket_id)
    found = decisions.for_subject(session, subject_type="ticket", subject_id=ticket_id, kind=DecisionKind.DRAFT)
    draft = next((d for d in found if d.id == draft_id), None)
    if draft is None:
        raise NotFound(f"No draft {draft_id} on DP-{ticket_id}.")
    return draft


def reject(session: Session, *, actor: Principal, ticket_id: int, draft_id: int, reason: str) -> AiFeedback:
    """Discard a draft, saying why (stored as feedback for the KPIs and the replay sets)."""
    _workable(session, actor, ticket_id)
    draft = get(session, actor=actor, ticket_id=ticket_id, draft_id=draft_id)
    return decisions.record_feedback(session, decision_id=draft.id, field=REPLY, action=FeedbackAction.REJECTED,
                                     suggested_value=str(draft.outputs.get("text", "")), final_value=None,
                                     actor_id=actor.user_id, actor_name=actor.username,
                                     reason=reason.strip() or "not given")


def send(session: Session, *, actor: Principal, ticket_id: int, draft_id: int, text: str) -> TicketMessage:
    """Send a public reply written from a draft: it carries the AI-assisted marker, and whether the agent sent
    the draft as it was or edited it is stored as feedback."""
    ticket = _workable(session, actor, ticket_id)
    draft = get(session, actor=actor, ticket_id=ticket_id, draft_id=draft_id)
    message = tickets.add_message(session, actor=actor, ticket_id=ticket_id, data=MessageCreate(
        body=text, kind=MessageKind.PUBLIC_REPLY, channel=Channel(ticket.channel), ai_assisted=True))
    judge_sent(session, draft=draft, text=text, actor=actor)
    return message


def judge_sent(session: Session, *, draft: AiDecision, text: str, actor: Principal) -> AiFeedback:
    """Feedback on a draft that was sent: ACCEPTED when sent as drafted, EDITED otherwise."""
    suggested = str(draft.outputs.get("text", "")).strip()
    action = FeedbackAction.ACCEPTED if " ".join(suggested.split()) == " ".join(text.split()) \
        else FeedbackAction.EDITED
    return decisions.record_feedback(session, decision_id=draft.id, field=REPLY, action=action,
                                     suggested_value=suggested, final_value=text, actor_id=actor.user_id,
                                     actor_name=actor.username)
