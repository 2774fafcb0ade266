"""Plain HTML form input → the tickets service's schemas, with messages a requester can act on."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ValidationError

from deskpilot.tickets.enums import Channel, Level, MessageKind
from deskpilot.tickets.schemas import MAX_BODY, MessageCreate, TicketCreate


def _max_length(model: type[BaseModel], name: str) -> int:
    """The schema's own limit, so the form's wording can never drift from what the service accepts."""
    limits = [m.max_length for m in model.model_fields[name].metadata if getattr(m, "max_length", None)]
    return int(limits[0])


SUBJECT_MAX = _max_length(TicketCreate, "subject")
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
