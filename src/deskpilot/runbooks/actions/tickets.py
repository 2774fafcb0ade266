"""Ticket actions: a comment on the run's ticket, or a change of its fields (undone by restoring them).

They act only on the ticket the run was started for, so a definition can never reach another ticket.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from deskpilot.errors import InvalidInput
from deskpilot.runbooks.actions.base import Action, ActionContext, ActionInputs, PlannedChange, StepResult
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import Channel, Level, MessageKind, Priority
from deskpilot.tickets.schemas import MessageCreate, TicketUpdate

_FIELDS = ("priority", "impact", "urgency", "category", "queue_id")


def _ticket_id(ctx: ActionContext) -> int:
    if ctx.ticket_id is None:
        raise InvalidInput("This runbook step works on a ticket: start the run for a ticket.")
    return ctx.ticket_id


class CommentInputs(ActionInputs):
    body: str = Field(min_length=1, max_length=20_000)
    public: bool = False


class TicketComment(Action[CommentInputs]):
    name: ClassVar[str] = "ticket.comment"
    input_model = CommentInputs
    # A comment adds to the record; it is history, not a change to undo.
    read_only = True
    external = False

    def plan(self, ctx: ActionContext, inputs: CommentInputs) -> PlannedChange:
        kind = "public reply" if inputs.public else "internal note"
        if ctx.ticket_id is None:
            return PlannedChange(f"No ticket: the {kind} is kept in the run record only.", changes=False)
        return PlannedChange(f"Add a {kind} to DP-{ctx.ticket_id}.", {}, {"body": inputs.body}, changes=False)

    def execute(self, ctx: ActionContext, inputs: CommentInputs) -> StepResult:
        if ctx.ticket_id is None:
            # A run without a ticket keeps its record in the run and the audit log.
            return StepResult("no ticket to comment on", {"body": inputs.body})
        kind = MessageKind.PUBLIC_REPLY if inputs.public else MessageKind.INTERNAL_NOTE
        message = tickets.add_message(ctx.session, actor=ctx.ticket_actor, ticket_id=_ticket_id(ctx),
                                      data=MessageCreate(body=inputs.body, kind=kind, channel=Channel.API))
        return StepResult(f"{kind} added to DP-{message.ticket_id}", {"message_id": message.id})


class TicketUpdateInputs(ActionInputs):
    priority: Priority | None = None
    impact: Level | None = None
    urgency: Level | None = None
    category: str | None = Field(default=None, max_length=120)
    queue_id: int | None = Field(default=None, ge=1)


class UpdateTicket(Action[TicketUpdateInputs]):
    name: ClassVar[str] = "ticket.update"
    input_model = TicketUpdateInputs
    inverse = "ticket.update"
    # The ticket is in the run's own transaction: lost with the run's record, never without it.
    external = False

    def _changes(self, inputs: TicketUpdateInputs) -> dict[str, Any]:
        changes = inputs.model_dump(exclude_unset=True)
        if not changes:
            raise InvalidInput("ticket.update needs at least one of: " + ", ".join(_FIELDS))
        return changes

    def plan(self, ctx: ActionContext, inputs: TicketUpdateInputs) -> PlannedChange:
        ticket = tickets.get(ctx.session, actor=ctx.ticket_actor, ticket_id=_ticket_id(ctx))
        changes = self._changes(inputs)
        before = {f: getattr(ticket, f) for f in changes}
        return PlannedChange(f"Change {', '.join(changes)} of DP-{ticket.id}.", before, changes,
                             changes=before != changes)

    def execute(self, ctx: ActionContext, inputs: TicketUpdateInputs) -> StepResult:
        changes = self._changes(inputs)
        ticket = tickets.get(ctx.session, actor=ctx.ticket_actor, ticket_id=_ticket_id(ctx))
        before = {f: getattr(ticket, f) for f in changes}
        tickets.update(ctx.session, actor=ctx.ticket_actor, ticket_id=ticket.id,
                       data=TicketUpdate.model_validate(changes))
        undo = {k: (None if v is None else str(v) if k != "queue_id" else v) for k, v in before.items()}
        return StepResult(f"DP-{ticket.id}: {', '.join(changes)} changed", {"before": undo, "after": changes}, undo)
