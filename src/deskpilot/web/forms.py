"""Plain HTML form input → the tickets service's schemas, with messages a requester can act on."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from deskpilot.errors import InvalidInput
from deskpilot.tickets.enums import Channel, Level, MessageKind, Priority, TicketStatus
from deskpilot.tickets.models import Ticket
from deskpilot.tickets.schemas import MAX_BODY, MessageCreate, TicketCreate, TicketSort, TicketUpdate


def _max_length(model: type[BaseModel], name: str) -> int:
    """The schema's own limit, so the form's wording can never drift from what the service accepts."""
    limits = [m.max_length for m in model.model_fields[name].metadata if getattr(m, "max_length", None)]
    return int(limits[0])


SUBJECT_MAX = _max_length(TicketCreate, "subject")
CATEGORY_MAX = _max_length(TicketUpdate, "category")
MAX_ID = 2_147_483_647
E = TypeVar("E", bound=StrEnum)
_LEVELS = {level.value for level in Level}


def normalise(text: str) -> str:
    """Browsers send textarea line breaks as CRLF; store plain newlines."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _too_long(what: str, text: str, limit: int) -> str:
    return (f"{what} is too long: {len(text):,} characters, and the limit is {limit:,}. Shorten it – for long "
            "logs or error output, paste only the lines around the error.")


@dataclass
class RequestForm:
    """The "New request" form as typed, kept to show it again beside its error messages."""

    subject: str = ""
    description: str = ""
    impact: str = Level.LOW.value
    urgency: str = Level.MEDIUM.value
    errors: dict[str, str] = field(default_factory=dict)

    def to_ticket(self) -> TicketCreate | None:
        """The ticket to create, or None with `errors` filled in, field by field."""
        self.subject, self.description = normalise(self.subject), normalise(self.description)
        subject = self.subject.strip()
        if not subject:
            self.errors["subject"] = "Give your request a short subject, for example “VPN drops every few minutes”."
        elif len(subject) > SUBJECT_MAX:
            self.errors["subject"] = _too_long("The subject", subject, SUBJECT_MAX) + " Put details in the description."
        if len(self.description) > MAX_BODY:
            self.errors["description"] = _too_long("The description", self.description, MAX_BODY)
        if self.impact not in _LEVELS:
            self.errors["impact"] = "Choose who is affected."
        if self.urgency not in _LEVELS:
            self.errors["urgency"] = "Choose how much this blocks your work."
        if self.errors:
            return None
        try:
            return TicketCreate(subject=subject, description=self.description, impact=Level(self.impact),
                                urgency=Level(self.urgency), channel=Channel.PORTAL)
        except ValidationError as exc:
            self.errors["description"] = _unstorable(exc)
            return None


@dataclass
class ReplyForm:
    body: str = ""
    error: str | None = None

    def to_message(self) -> MessageCreate | None:
        """The public reply to add, or None with `error` set."""
        self.body = normalise(self.body)
        if not self.body.strip():
            self.error = "Write your reply before sending it."
        elif len(self.body) > MAX_BODY:
            self.error = _too_long("Your reply", self.body, MAX_BODY)
        if self.error:
            return None
        try:
            return MessageCreate(body=self.body, kind=MessageKind.PUBLIC_REPLY, channel=Channel.PORTAL)
        except ValidationError as exc:
            self.error = _unstorable(exc)
            return None


def _unstorable(exc: ValidationError) -> str:
    # Lengths and choices are checked above; what is left is text the database cannot store (NUL bytes).
    detail = "; ".join(str(e.get("msg", "")) for e in exc.errors()[:3])
    return f"The text cannot be saved ({detail}). Remove any unusual control characters and try again."


def _choice(kind: type[E], raw: str, what: str) -> E | None:
    """An empty drop-down ("Any", "None") is no choice; anything else must be one of the options."""
    if not raw.strip():
        return None
    try:
        return kind(raw.strip())
    except ValueError:
        options = ", ".join(member.value for member in kind)
        raise InvalidInput(f"{raw!r} is not a {what}; choose one of {options}.") from None


def _queue_id(raw: str) -> int | None:
    text = raw.strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        raise InvalidInput(f"{raw!r} is not a queue; choose one from the list.")
    return int(text)


@dataclass(frozen=True)
class ConsoleFilters:
    """The console's filter bar as a browser submits it: a drop-down left on "Any" arrives as an empty string."""

    status: TicketStatus | None = None
    queue_id: int | None = None
    priority: Priority | None = None
    mine: bool = False
    q: str = ""
    sort: TicketSort = TicketSort.DUE

    @classmethod
    def parse(cls, *, status: str = "", queue: str = "", priority: str = "", mine: str = "", q: str = "",
              sort: str = "") -> ConsoleFilters:
        """The filters chosen; empty values mean "any", unknown values are refused with the options."""
        return cls(status=_choice(TicketStatus, status, "status"), queue_id=_queue_id(queue),
                   priority=_choice(Priority, priority, "priority"), mine=mine.strip().lower() in {"1", "true", "on"},
                   q=q.strip(), sort=_choice(TicketSort, sort, "sort order") or TicketSort.DUE)

    def as_query(self) -> dict[str, str]:
        """The filters as the form's field values; "" for "Any"."""
        return {"status": self.status.value if self.status else "", "queue": str(self.queue_id or ""),
                "priority": self.priority.value if self.priority else "", "mine": "1" if self.mine else "",
                "q": self.q, "sort": self.sort.value}


@dataclass(frozen=True)
class TicketFieldsForm:
    """The console's inline edit of priority, category and queue; "None" leaves the category or queue empty."""

    priority: str = ""
    category: str = ""
    queue: str = ""

    def changes(self, ticket: Ticket) -> TicketUpdate:
        """Only what differs from the ticket, so an unchanged field is neither audited nor taken as AI feedback."""
        priority = _choice(Priority, self.priority, "priority")
        if priority is None:
            raise InvalidInput("Choose a priority; a ticket always has one.")
        category = " ".join(self.category.split()) or None
        if category is not None and len(category) > CATEGORY_MAX:
            raise InvalidInput(f"A category has at most {CATEGORY_MAX} characters.")
        wanted: dict[str, object] = {"priority": priority, "category": category, "queue_id": _queue_id(self.queue)}
        return TicketUpdate.model_validate({column: value for column, value in wanted.items()
                                            if value != getattr(ticket, column)})
