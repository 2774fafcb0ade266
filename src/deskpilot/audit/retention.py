"""Retention of AI decision inputs: after the period the redacted input text goes; its hash, the outputs, the
model version and the sources stay, so the decision can still be audited (not replayed from its text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from deskpilot.audit.decisions_models import AiDecision
from deskpilot.config import Settings
from deskpilot.data_retention import Expired, RetentionKind


@dataclass(frozen=True)
class DecisionInputsSweep:
    name: str = "ai_decisions"
    kind: RetentionKind = RetentionKind.AI_DECISION_INPUTS

    def expire(self, session: Session, *, settings: Settings,  # noqa: ARG002 - no files to delete
               before: datetime, dry_run: bool) -> Expired:
        """Clear the input text of the decisions recorded before `before`."""
        old = (AiDecision.created_at < before, AiDecision.input_redacted != "")
        count = session.scalar(select(func.count(AiDecision.id)).where(*old)) or 0
        if not dry_run and count:
            session.execute(update(AiDecision).where(*old).values(input_redacted=""),
                            execution_options={"synchronize_session": False})
            session.flush()
            session.expire_all()
        return Expired(records=count)


SWEEP = DecisionInputsSweep()
