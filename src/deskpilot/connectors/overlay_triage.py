"""The overlay's triage of an ITSM ticket with the desk's own AI: the triage engine (category, priority, queue,
similar tickets; recorded as a TRIAGE decision) and a grounded draft reply from approved articles (a DRAFT
decision), both about the subject `itsm_ticket` `<connector>:<id>`; and the governance mode it runs in."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from deskpilot.assist.compose import AnswerComposer, agent_draft, draft_reply
from deskpilot.assist.retrieval import HybridRetriever
from deskpilot.audit import decisions
from deskpilot.audit.enums import DecisionKind
from deskpilot.config import Settings
from deskpilot.connectors.overlay import ModeOf, Suggestion, Triager
from deskpilot.connectors.records import ExternalTicket
from deskpilot.governance import switches
from deskpilot.governance.enums import AiMode, Capability
from deskpilot.kb.answering import only_approved
from deskpilot.kb.service import approved_versions
from deskpilot.runtime import AiRuntime
from deskpilot.triage.pii import redact_pii
from deskpilot.triage.service import triage_request

SUBJECT = "itsm_ticket"


def mode_of(connector: str) -> ModeOf:
    """The mode of `itsm_write_back` for the connector (switch scope `channel:<connector>`, else everywhere)."""
    def mode(session: Session) -> AiMode:
        return switches.mode(session, Capability.ITSM_WRITE_BACK, channel=connector)
    return mode


def triager(runtime: AiRuntime, settings: Settings, *, connector: str, groups: Mapping[str, str]) -> Triager:
    """Triage with `runtime`; `groups` maps the ITSM's group names (lower case) to their ids, so the queue triage
    chooses becomes the ITSM group of the same name."""
    def triage(session: Session, ticket: ExternalTicket) -> Suggestion:
        subject_id = f"{connector}:{ticket.external_id}"
        outcome = triage_request(session, engine=runtime.triage, subject=ticket.subject, body=ticket.description,
                                 settings=settings)
        decisions.attach_subject(session, decision_id=outcome.decision_id, subject_type=SUBJECT,
                                 subject_id=subject_id)
        asked = ticket.description or ticket.subject
        composer = AnswerComposer(HybridRetriever(runtime.kb.current(session)),
                                  abstain_below=settings.answer_abstain_below)
        draft = draft_reply(asked, composer, context=ticket.subject)
        answer = only_approved(draft.answer, approved_versions(session))
        if answer is not draft.answer:
            draft = agent_draft(answer)
        decisions.record_decision(
            session, kind=DecisionKind.DRAFT, model_version=f"kb-hybrid/{runtime.embedder.model_id}",
            input_redacted=redact_pii(asked).text, outputs={"text": draft.text, "citations": list(answer.citations)},
            confidence=answer.confidence, abstained=answer.abstained,
            sources=[{"citation": s.citation, "slug": s.slug, "version": s.version} for s in answer.sentences],
            subject_type=SUBJECT, subject_id=subject_id)
        result = outcome.result
        similar = tuple(f"DP-{s.ticket_id} {s.subject!r} (similarity {s.score:.2f})"
                        + (f"; resolved: {s.resolution}" if s.resolution else "") for s in outcome.similar)
        return Suggestion(category=None if result.abstained else result.category, confidence=result.confidence,
                          priority=result.priority, group_id=groups.get((outcome.queue or "").lower()),
                          group=outcome.queue, draft=draft.text, sources=tuple(answer.citations), similar=similar,
                          decision_id=outcome.decision_id)
    return triage
