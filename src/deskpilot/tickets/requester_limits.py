"""Abuse and noise: how many new tickets and conversations one requester may open per hour, and the lifts.

A requester past a limit is refused with `RateLimited` (HTTP 429) and a message that says what to do; staff
opening tickets for others are never limited. A lead (`requester:limit_lift`) lifts the limits for one
requester for some hours; the lift is stored and audited.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import User
from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.errors import InvalidInput, NotFound, RateLimited
from deskpilot.tickets.limit_models import RequesterLimitLift
from deskpilot.tickets.models import Ticket

WINDOW = timedelta(hours=1)
MAX_LIFT_HOURS = 24 * 30


def limited(actor: Principal) -> bool:
    """Only requesters acting for themselves count against the limits."""
    return actor.role is Role.REQUESTER and actor.user_id is not None


def lifted_until(session: Session, *, requester_id: int, now: datetime | None = None) -> datetime | None:
    """The end of the requester's current lift, or None when the limits apply."""
    now = now or utcnow()
    until: datetime | None = session.scalar(select(func.max(RequesterLimitLift.lifted_until))
                                            .where(RequesterLimitLift.requester_id == requester_id))
    return until if until is not None and until > now else None


def refuse_past_limit(session: Session, *, requester_id: int, opened: int, limit: int, what: str,
                      setting: str) -> None:
    """RateLimited when `opened` (in the last hour) reached `limit` and no lift is running; 0 is no limit."""
    if limit <= 0 or opened < limit or lifted_until(session, requester_id=requester_id) is not None:
        return
    raise RateLimited(f"You have opened {opened} {what} in the last hour, the most one person may open "
                      f"({setting}). Nothing new was opened; your earlier {what} are kept. Please wait a while, "
                      "add to one of your open ones, or ask a service desk lead to lift the limit for you.")


def check_new_ticket(session: Session, *, actor: Principal, settings: Settings) -> None:
    """Refuse a requester's new ticket past `requester_max_tickets_per_hour`."""
    if not limited(actor) or actor.user_id is None:
        return
    opened = session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.requester_id == actor.user_id, Ticket.created_at >= utcnow() - WINDOW)) or 0
    refuse_past_limit(session, requester_id=actor.user_id, opened=opened,
                      limit=settings.requester_max_tickets_per_hour, what="tickets",
                      setting="DESKPILOT_REQUESTER_MAX_TICKETS_PER_HOUR")


def lift(session: Session, *, actor: Principal, requester_id: int, hours: int, reason: str) -> RequesterLimitLift:
    """Let `requester_id` past the hourly limits for `hours`; audited with the lead's reason."""
    require(actor, Permission.REQUESTER_LIMIT_LIFT)
    if not 1 <= hours <= MAX_LIFT_HOURS:
        raise InvalidInput(f"A lift lasts between 1 and {MAX_LIFT_HOURS} hours; {hours} was given.")
    if not reason.strip():
        raise InvalidInput("Say why the limit is lifted: the reason is kept in the audit log.")
    requester = session.get(User, requester_id)
    if requester is None:
        raise NotFound(f"No user with id {requester_id}.")
    now = utcnow()
    record = RequesterLimitLift(requester_id=requester_id, lifted_by_id=actor.user_id, reason=reason.strip()[:500],
                                lifted_until=now + timedelta(hours=hours), created_at=now)
    session.add(record)
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="requester.limit_lifted",
                 subject_type="user", subject_id=requester_id,
                 after={"lifted_until": record.lifted_until.isoformat(), "hours": hours, "reason": record.reason})
    return record
