"""/api/v1/tickets: the ticket lifecycle over HTTP."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from deskpilot import intake
from deskpilot.api.deps import (
    CurrentPrincipal,
    IdPath,
    IndexDep,
    Limit,
    Offset,
    RuntimeDep,
    SessionDep,
    SettingsInForce,
)
from deskpilot.conversations import ticket_updates
from deskpilot.kb import drafts
from deskpilot.tickets import bulk, queue_views, service
from deskpilot.tickets.enums import Channel, Priority, TicketStatus
from deskpilot.tickets.schemas import (
    Assignment,
    BulkChange,
    BulkItemRead,
    BulkResultRead,
    DraftFeedbackRead,
    DraftRejection,
    DraftReplyRead,
    DraftSourceRead,
    MergeRequest,
    MessageCreate,
    MessageRead,
    QueueViewRead,
    QueueViewSave,
    StatusChange,
    TicketCreate,
    TicketPage,
    TicketRead,
    TicketSort,
    TicketUpdate,
)

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="create_ticket")
def create_ticket(data: TicketCreate, session: SessionDep, actor: CurrentPrincipal,
                  ai: RuntimeDep) -> TicketRead:
    """Open a ticket; it is triaged at once (category, queue, priority when confident; SLA)."""
    ticket, _outcome = intake.open_ticket(session, actor=actor, data=data, settings=ai.settings, triage=ai.triage)
    return TicketRead.model_validate(ticket)


@router.get("", operation_id="list_tickets")
def list_tickets(
    session: SessionDep, actor: CurrentPrincipal, offset: Offset = 0, limit: Limit = 50,
    status: TicketStatus | None = None, priority: Priority | None = None,
    queue_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    assignee_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    requester_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    category: Annotated[str | None, Query(max_length=120)] = None, channel: Channel | None = None,
    q: Annotated[str | None, Query(max_length=200, description="words that must all appear")] = None,
    sort: TicketSort = TicketSort.NEWEST,
    open_only: Annotated[bool, Query(alias="open", description="only tickets that still need work")] = False,
) -> TicketPage:
    rows, total = service.get_all(session, actor=actor, status=status, priority=priority, queue_id=queue_id,
                                  assignee_id=assignee_id, requester_id=requester_id, category=category,
                                  channel=channel, search=(q or "").replace("\x00", ""), sort=sort, open_only=open_only,
                                  offset=offset, limit=limit)
    return TicketPage(items=[TicketRead.model_validate(t) for t in rows], total=total, offset=offset, limit=limit)


@router.get("/views", operation_id="list_queue_views")
def list_queue_views(session: SessionDep, actor: CurrentPrincipal) -> list[QueueViewRead]:
    """The caller's saved queue views (the console lists the same ones)."""
    return [QueueViewRead.model_validate(v) for v in queue_views.get_all(session, actor=actor)]


@router.post("/views", status_code=status.HTTP_201_CREATED, operation_id="save_queue_view")
def save_queue_view(data: QueueViewSave, session: SessionDep, actor: CurrentPrincipal) -> QueueViewRead:
    """Save queue filters under a name for the caller, replacing their view of the same name."""
    view = queue_views.save(session, actor=actor, name=data.name, filters=data.filters)
    return QueueViewRead.model_validate(view)


@router.post("/bulk", operation_id="bulk_change_tickets")
def bulk_change(data: BulkChange, session: SessionDep, actor: CurrentPrincipal) -> BulkResultRead:
    """One change (assign, status, priority, queue or merge) to up to 100 tickets. Each ticket changes or not on
    its own, with the same rules as a single change; `items` says per ticket what happened and why not."""
    outcomes = bulk.apply(session, actor=actor, change=data, update=intake.update_ticket)
    if data.action == "status":
        for outcome in outcomes:
            if outcome.ok:
                ticket_updates.relay(session, ticket_id=outcome.ticket_id)
    items = [BulkItemRead(ticket_id=o.ticket_id, ok=o.ok, error=o.error, message=o.message) for o in outcomes]
    return BulkResultRead(action=data.action, changed=sum(o.changed for o in outcomes),
                          failed=sum(not o.ok for o in outcomes), items=items)


@router.get("/{ticket_id}", operation_id="get_ticket")
def get_ticket(ticket_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> TicketRead:
    return TicketRead.model_validate(service.get(session, actor=actor, ticket_id=ticket_id))


@router.patch("/{ticket_id}", operation_id="update_ticket")
def update_ticket(ticket_id: IdPath, data: TicketUpdate, session: SessionDep,
                  actor: CurrentPrincipal) -> TicketRead:
    return TicketRead.model_validate(intake.update_ticket(session, actor=actor, ticket_id=ticket_id, data=data))


@router.post("/{ticket_id}/assign", operation_id="assign_ticket")
def assign_ticket(ticket_id: IdPath, data: Assignment, session: SessionDep,
                  actor: CurrentPrincipal) -> TicketRead:
    ticket = service.assign(session, actor=actor, ticket_id=ticket_id, assignee_id=data.assignee_id)
    return TicketRead.model_validate(ticket)


@router.post("/{ticket_id}/status", operation_id="change_ticket_status")
def change_status(ticket_id: IdPath, data: StatusChange, session: SessionDep,
                  actor: CurrentPrincipal) -> TicketRead:
    ticket = service.change_status(session, actor=actor, ticket_id=ticket_id, target=data.status,
                                   comment=data.comment)
    ticket_updates.relay(session, ticket_id=ticket_id)
    return TicketRead.model_validate(ticket)


def _shortcut(target: TicketStatus, name: str) -> None:
    def handler(ticket_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> TicketRead:
        ticket = service.change_status(session, actor=actor, ticket_id=ticket_id, target=target)
        ticket_updates.relay(session, ticket_id=ticket_id)
        return TicketRead.model_validate(ticket)

    router.add_api_route(f"/{{ticket_id}}/{name}", handler, methods=["POST"], operation_id=f"{name}_ticket",
                         summary=f"{name.capitalize()} a ticket", response_model=TicketRead)


_shortcut(TicketStatus.RESOLVED, "resolve")
_shortcut(TicketStatus.CLOSED, "close")
_shortcut(TicketStatus.OPEN, "reopen")


@router.post("/{ticket_id}/merge", operation_id="merge_ticket")
def merge_ticket(ticket_id: IdPath, data: MergeRequest, session: SessionDep,
                 actor: CurrentPrincipal) -> TicketRead:
    target = service.merge(session, actor=actor, ticket_id=ticket_id, into_ticket_id=data.into_ticket_id)
    return TicketRead.model_validate(target)


@router.get("/{ticket_id}/messages", operation_id="list_ticket_messages")
def list_messages(ticket_id: IdPath, session: SessionDep, actor: CurrentPrincipal) -> list[MessageRead]:
    return [MessageRead.model_validate(m) for m in service.get_messages(session, actor=actor, ticket_id=ticket_id)]


@router.post("/{ticket_id}/messages", status_code=status.HTTP_201_CREATED, operation_id="add_ticket_message")
def add_message(ticket_id: IdPath, data: MessageCreate, session: SessionDep,
                actor: CurrentPrincipal) -> MessageRead:
    message = service.add_message(session, actor=actor, ticket_id=ticket_id, data=data)
    ticket_updates.relay(session, ticket_id=ticket_id)
    return MessageRead.model_validate(message)


@router.post("/{ticket_id}/draft-reply", status_code=status.HTTP_201_CREATED, operation_id="draft_ticket_reply")
def draft_reply(ticket_id: IdPath, session: SessionDep, actor: CurrentPrincipal, settings: SettingsInForce,
                index: IndexDep) -> DraftReplyRead:
    """A reply drafted from approved articles only, each sentence cited; recorded as an AI decision."""
    draft = drafts.create(session, actor=actor, settings=settings, index=index, ticket_id=ticket_id)
    return DraftReplyRead(decision_id=draft.id, text=str(draft.outputs["text"]),
                          citations=[str(c) for c in draft.outputs["citations"]],
                          sources=[DraftSourceRead.model_validate(s) for s in draft.sources],
                          confidence=draft.confidence, abstained=draft.abstained)


@router.post("/{ticket_id}/draft-reply/{draft_id}/reject", status_code=status.HTTP_201_CREATED,
             operation_id="reject_ticket_draft_reply")
def reject_draft_reply(ticket_id: IdPath, draft_id: IdPath, data: DraftRejection, session: SessionDep,
                       actor: CurrentPrincipal) -> DraftFeedbackRead:
    """Discard a draft reply, saying why (stored as feedback for the KPIs and the replay sets)."""
    feedback = drafts.reject(session, actor=actor, ticket_id=ticket_id, draft_id=draft_id, reason=data.reason)
    return DraftFeedbackRead(id=feedback.id, decision_id=feedback.decision_id, action=feedback.action,
                             reason=feedback.reason)
