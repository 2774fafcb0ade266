"""/requester-limits: the requesters who opened the most tickets and conversations in the last hour, and the
lead's control to lift the hourly limits for one of them (stored and audited by `tickets/requester_limits`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import User
from deskpilot.accounts.permissions import Permission, has
from deskpilot.api.deps import IdPath, SessionDep, SettingsDep
from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.conversations.models import Conversation
from deskpilot.errors import InvalidInput, PermissionDenied
from deskpilot.tickets import requester_limits
from deskpilot.tickets.models import Ticket
from deskpilot.web.templating import render
from deskpilot.web.viewer import FormViewer, Viewer, ViewerDep

FormText = Annotated[str, Form()]
router = APIRouter(include_in_schema=False)
PATH = "/requester-limits"
SHOWN = 25


@dataclass(frozen=True)
class RequesterActivity:
    user_id: int
    name: str
    tickets: int
    conversations: int
    lifted_until: datetime | None


def _require_lead(viewer: Viewer) -> None:
    if not has(viewer.principal, Permission.REQUESTER_LIMIT_LIFT):
        raise PermissionDenied("Lifting requester limits is for service desk leads.")


def _activity(session: Session) -> list[RequesterActivity]:
    since = utcnow() - requester_limits.WINDOW
    tickets = dict(session.execute(select(Ticket.requester_id, func.count()).where(Ticket.created_at >= since)
                                   .group_by(Ticket.requester_id)).tuples().all())
    chats = dict(session.execute(select(Conversation.requester_id, func.count())
                                 .where(Conversation.created_at >= since)
                                 .group_by(Conversation.requester_id)).tuples().all())
    busiest = sorted(set(tickets) | set(chats), key=lambda i: -(tickets.get(i, 0) + chats.get(i, 0)))[:SHOWN]
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(busiest), User.role == Role.REQUESTER))}
    return [RequesterActivity(i, users[i].full_name or users[i].username, tickets.get(i, 0), chats.get(i, 0),
                              requester_limits.lifted_until(session, requester_id=i)) for i in busiest if i in users]


@router.get(PATH)
def limits_page(request: Request, session: SessionDep, viewer: ViewerDep, settings: SettingsDep) -> Response:
    """Who opened the most in the last hour, against the limits, with a lift control per requester."""
    return _page(request, session, viewer, settings)


def _page(request: Request, session: Session, viewer: Viewer, settings: Settings, *, error: str | None = None,
          status_code: int = 200) -> Response:
    _require_lead(viewer)
    return render(request, "staff/requester_limits.html", {
        "rows": _activity(session), "max_tickets": settings.requester_max_tickets_per_hour,
        "max_conversations": settings.requester_max_conversations_per_hour, "error": error,
    }, viewer=viewer, status_code=status_code)


@router.post(PATH + "/{user_id}/lift")
def lift(request: Request, user_id: IdPath, session: SessionDep, viewer: FormViewer, settings: SettingsDep,
         hours: FormText = "24", reason: FormText = "") -> Response:
    """Lift the limits for one requester for some hours (audited), then show the list again."""
    _require_lead(viewer)
    try:
        requester_limits.lift(session, actor=viewer.principal, requester_id=user_id,
                              hours=int(hours) if hours.strip().isdigit() else 0, reason=reason)
    except InvalidInput as exc:
        session.rollback()
        return _page(request, session, viewer, settings, error=exc.message, status_code=422)
    return RedirectResponse(PATH, status_code=303)
