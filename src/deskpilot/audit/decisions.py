"""Recording AI decisions and the feedback people give on them (the KPIs and replay sets read these)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.audit import service as audit
from deskpilot.audit.decisions_models import AiDecision, AiFeedback
from deskpilot.audit.enums import DecisionKind, FeedbackAction
from deskpilot.clock import utcnow
from deskpilot.errors import NotFound


def input_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_decision(*, kind: DecisionKind, model_version: str, input_redacted: str, outputs: dict[str, Any],
                 confidence: float, abstained: bool, sources: Sequence[Any] = (),
                 explanation: dict[str, Any] | None = None, subject_type: str | None = None,
                 subject_id: str | int | None = None) -> AiDecision:
    """One AI decision, not yet in a session: `record_decision` stores one, an import adds many at once.
    `input_redacted` must already be PII-redacted: it is kept for replay."""
    return AiDecision(
        kind=kind, model_version=model_version, input_hash=input_hash(input_redacted),
        input_redacted=input_redacted, outputs=audit.jsonable(outputs), confidence=float(confidence),
        abstained=abstained, sources=audit.jsonable(list(sources)), explanation=audit.jsonable(explanation or {}),
        subject_type=subject_type, subject_id=None if subject_id is None else str(subject_id), created_at=utcnow())


def record_decision(session: Session, *, kind: DecisionKind, model_version: str, input_redacted: str,
                    outputs: dict[str, Any], confidence: float, abstained: bool,
                    sources: Sequence[Any] = (), explanation: dict[str, Any] | None = None,
                    subject_type: str | None = None, subject_id: str | int | None = None) -> AiDecision:
    """Store one AI decision. `input_redacted` must already be PII-redacted: it is kept for replay."""
    decision = new_decision(kind=kind, model_version=model_version, input_redacted=input_redacted, outputs=outputs,
                            confidence=confidence, abstained=abstained, sources=sources, explanation=explanation,
                            subject_type=subject_type, subject_id=subject_id)
    session.add(decision)
    session.flush()
    return decision


def attach_subject(session: Session, *, decision_id: int, subject_type: str, subject_id: str | int) -> AiDecision:
    """Link a decision made before its subject existed (triage runs before the ticket is created).

    The log knows no area: an area that keeps facts about its subjects' decisions links them through its own
    service (tickets: `tickets.facts.link_triage`).
    """
    decision = get(session, decision_id=decision_id)
    decision.subject_type, decision.subject_id = subject_type, str(subject_id)
    return decision


def get(session: Session, *, decision_id: int) -> AiDecision:
    decision = session.get(AiDecision, decision_id)
    if decision is None:
        raise NotFound(f"No AI decision with id {decision_id}.")
    return decision


def for_subject(session: Session, *, subject_type: str, subject_id: str | int,
                kind: DecisionKind | None = None) -> list[AiDecision]:
    query = select(AiDecision).where(AiDecision.subject_type == subject_type,
                                     AiDecision.subject_id == str(subject_id))
    if kind is not None:
        query = query.where(AiDecision.kind == kind)
    return list(session.scalars(query.order_by(AiDecision.id)))


def get_all(session: Session, *, kind: DecisionKind | None = None, since: datetime | None = None,
            until: datetime | None = None, offset: int = 0, limit: int = 50) -> tuple[list[AiDecision], int]:
    """A page of AI decisions, newest first, and the total matching (for auditors)."""
    query = select(AiDecision)
    if kind is not None:
        query = query.where(AiDecision.kind == kind)
    if since is not None:
        query = query.where(AiDecision.created_at >= since)
    if until is not None:
        query = query.where(AiDecision.created_at < until)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AiDecision.id.desc()).offset(offset).limit(limit))
    return list(rows), total


def get_feedback(session: Session, *, decision_id: int) -> list[AiFeedback]:
    """What people did with the fields of one decision, oldest first."""
    return list(session.scalars(select(AiFeedback).where(AiFeedback.decision_id == decision_id)
                                .order_by(AiFeedback.id)))


def record_feedback(session: Session, *, decision_id: int, field: str, action: FeedbackAction,
                    suggested_value: str | None, final_value: str | None, actor_id: int | None,
                    actor_name: str, reason: str | None = None) -> AiFeedback:
    """What a person did with one field of a decision; also appended to the audit log."""
    decision = get(session, decision_id=decision_id)
    feedback = AiFeedback(decision_id=decision.id, decision_kind=decision.kind, field=field, action=action,
                          suggested_value=suggested_value, final_value=final_value, reason=reason, actor_id=actor_id,
                          created_at=utcnow())
    session.add(feedback)
    session.flush()
    audit.record(session, actor_id=actor_id, actor_name=actor_name, action=f"ai.feedback.{action}",
                 subject_type="ai_decision", subject_id=decision.id,
                 after={"field": field, "suggested": suggested_value, "final": final_value, "reason": reason})
    return feedback
