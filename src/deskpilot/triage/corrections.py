"""Agents' category corrections, kept as examples: triage consults them at once (cold_start.py) and the next
retrain learns from the corrected tickets."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.triage.models import CorrectedExample


def remember(session: Session, *, actor: Principal, text: str, category: str, ticket_id: int | None) -> None:
    """Keep the (redacted) request an agent moved to `category`; a later correction of the same ticket
    replaces the earlier one."""
    if not text.strip():
        return
    if ticket_id is not None:
        for earlier in session.scalars(select(CorrectedExample).where(CorrectedExample.ticket_id == ticket_id)):
            session.delete(earlier)
    session.add(CorrectedExample(text=text, category=category, ticket_id=ticket_id, corrected_by_id=actor.user_id))
    session.flush()


def count(session: Session) -> int:
    """How many corrected examples triage consults now."""
    return session.scalar(select(func.count()).select_from(CorrectedExample)) or 0
