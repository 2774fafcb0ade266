"""Bulk actions in the console queue: tick several tickets, then assign, set a status, a priority or a queue, or
merge them, with the bulk use case the API's POST /api/v1/tickets/bulk calls. The queue is shown again with what
changed and, ticket by ticket, what did not and why."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import TypeAdapter, ValidationError

from deskpilot import intake
from deskpilot.api.deps import SessionDep
from deskpilot.conversations import ticket_updates
from deskpilot.errors import InvalidInput
from deskpilot.tickets import bulk
from deskpilot.tickets.schemas import BULK_MAX, BulkChange, BulkMerge
from deskpilot.web.console_queue import queue_page
from deskpilot.web.forms import MAX_ID, ConsoleFilters
from deskpilot.web.ticket_views import BulkLine, BulkReport
from deskpilot.web.viewer import FormViewer, PostedForm, Viewer

router = APIRouter(include_in_schema=False)
_CHANGE: TypeAdapter[BulkChange] = TypeAdapter(BulkChange)
_DONE = {"assign": "Assigned", "status": "Status set on", "priority": "Priority set on", "queue": "Moved",
         "merge": "Merged"}
_FILTERS = ("status", "queue", "priority", "mine", "q", "sort")


def _number(raw: str, what: str) -> int:
    text = raw.strip().upper().removeprefix("DP-")
    if not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        raise InvalidInput(f"{raw!r} is not {what}; give a ticket as DP-123 or 123.")
    return int(text)


def _optional_id(raw: str, viewer: Viewer) -> int | None:
    if raw == "me":
        return viewer.user_id
    return _number(raw, "a choice from the list") if raw.strip() else None


def parse_change(form: dict[str, str], ticket_ids: list[str], viewer: Viewer) -> BulkChange:
    """The bulk change the queue's form asks for; blank "Merge into" keeps the oldest (lowest-numbered) ticket."""
    if not ticket_ids:
        raise InvalidInput("Select at least one ticket with its box first.")
    if len(ticket_ids) > BULK_MAX:
        raise InvalidInput(f"Select at most {BULK_MAX} tickets at once.")
    ids = [_number(raw, "a ticket") for raw in ticket_ids]
    action = form.get("action", "")
    fields: dict[str, object] = {"action": action, "ticket_ids": ids}
    if action == "assign":
        fields["assignee_id"] = _optional_id(form.get("assignee", ""), viewer)
    elif action == "queue":
        fields["queue_id"] = _optional_id(form.get("queue_to", ""), viewer)
    elif action in ("status", "priority"):
        fields[action] = form.get(f"{action}_to", "")
    elif action == "merge":
        keep = form.get("keep", "")
        fields["into_ticket_id"] = _number(keep, "a ticket") if keep.strip() else min(ids)
    try:
        return _CHANGE.validate_python(fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"][1:]) or "action"
        raise InvalidInput(f"The bulk action was not applied: {where}: {error['msg']}.") from None


def report(change: BulkChange, outcomes: list[bulk.BulkOutcome]) -> BulkReport:
    changed = [f"DP-{o.ticket_id}" for o in outcomes if o.changed]
    failed = sum(not o.ok for o in outcomes)
    headline = f"{_DONE[change.action]} {len(changed)} ticket{'' if len(changed) == 1 else 's'}"
    if isinstance(change, BulkMerge):
        headline += f" into DP-{change.into_ticket_id}"
    headline += f": {', '.join(changed)}." if changed else "."
    if failed:
        headline += f" {failed} not changed (see below)."
    lines = tuple(BulkLine(o.ticket_id, o.ok, o.message or "changed") for o in outcomes)
    return BulkReport(headline=headline, lines=lines)


@router.post("/console/bulk")
def bulk_change(request: Request, session: SessionDep, viewer: FormViewer, form: PostedForm) -> Response:
    """Apply one change to the ticked tickets; each ticket changes or not on its own, with the same rules as
    changing it alone (a ticket outside the agent's queues, or a status the lifecycle forbids, is reported)."""
    typed = {key: str(value) for key, value in form.items() if isinstance(value, str)}
    filters = dict(parse_qsl(typed.get("query", "")))
    chosen = ConsoleFilters.parse(**{k: v for k, v in filters.items() if k in _FILTERS})
    change = parse_change(typed, [str(v) for v in form.getlist("ticket_ids")], viewer)
    outcomes = bulk.apply(session, actor=viewer.principal, change=change, update=intake.update_ticket)
    if change.action == "status":
        for outcome in outcomes:
            if outcome.changed:
                ticket_updates.relay(session, ticket_id=outcome.ticket_id)
    return queue_page(request, session, viewer, chosen, bulk=report(change, outcomes))
