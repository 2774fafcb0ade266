"""Plain words for statuses, priorities, impact/urgency and SLA clocks, as requesters and staff read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from deskpilot.tickets.enums import Level, Priority, TicketStatus
from deskpilot.tickets.sla import TicketClocks
from deskpilot.tickets.sla_clock import SlaState, SlaStatus

_STATUS_FOR_REQUESTER = {
    TicketStatus.NEW: "Received", TicketStatus.OPEN: "Open", TicketStatus.IN_PROGRESS: "In progress",
    TicketStatus.WAITING_ON_CUSTOMER: "Waiting for your reply", TicketStatus.RESOLVED: "Resolved – please confirm",
    TicketStatus.CLOSED: "Closed", TicketStatus.MERGED: "Merged into another request",
}
_STATUS_FOR_STAFF = _STATUS_FOR_REQUESTER | {
    TicketStatus.NEW: "New", TicketStatus.WAITING_ON_CUSTOMER: "Waiting on requester",
    TicketStatus.RESOLVED: "Resolved", TicketStatus.MERGED: "Merged",
}
PRIORITY_LABELS = {Priority.P1: "Critical", Priority.P2: "High", Priority.P3: "Normal", Priority.P4: "Low"}

IMPACT_CHOICES: tuple[tuple[Level, str], ...] = (
    (Level.LOW, "Just me"),
    (Level.MEDIUM, "My team or several people"),
    (Level.HIGH, "Many people, or a service the business depends on"),
)
URGENCY_CHOICES: tuple[tuple[Level, str], ...] = (
    (Level.LOW, "It can wait – I can keep working"),
    (Level.MEDIUM, "It slows my work down"),
    (Level.HIGH, "I cannot work at all"),
)


def status_label(status: TicketStatus, *, for_requester: bool) -> str:
    return (_STATUS_FOR_REQUESTER if for_requester else _STATUS_FOR_STAFF)[TicketStatus(status)]


def priority_label(priority: Priority) -> str:
    return f"{PRIORITY_LABELS[Priority(priority)]} ({priority})"


def choice_label(choices: tuple[tuple[Level, str], ...], level: Level) -> str:
    return dict(choices)[Level(level)]


def _amount(value: int, unit: str) -> str:
    return f"{value} {unit}" if value == 1 else f"{value} {unit}s"


def relative(when: datetime, now: datetime) -> str:
    """"in 4 hours", "3 days ago" or "just now", rounded to the nearest minute, hour or day."""
    minutes = (when - now).total_seconds() / 60
    size = abs(minutes)
    if size < 1:
        return "just now"
    if size < 59.5:
        text = _amount(round(size), "minute")
    elif size < 23.5 * 60:
        text = _amount(round(size / 60), "hour")
    else:
        text = _amount(round(size / (24 * 60)), "day")
    return f"in {text}" if minutes > 0 else f"{text} ago"


def absolute(when: datetime) -> str:
    """"Tue 24 Nov 2026, 10:00 UTC": unambiguous without knowing the reader's time zone."""
    return when.astimezone(UTC).strftime("%a %d %b %Y, %H:%M UTC")


class Tone(StrEnum):
    """How an SLA line is shown; the words carry the meaning, the colour only repeats it."""

    ON_TRACK = "on-track"
    SOON = "soon"
    LATE = "late"
    PAUSED = "paused"
    DONE = "done"


@dataclass(frozen=True)
class SlaSummary:
    text: str
    due_at: datetime | None
    tone: Tone


_FINISHED = {TicketStatus.RESOLVED: "Resolved", TicketStatus.CLOSED: "Closed",
             TicketStatus.MERGED: "Merged into another request"}


def _clock_line(name: str, clock: SlaStatus, now: datetime, *, for_requester: bool) -> SlaSummary:
    due = clock.due_at
    if due is None:
        return SlaSummary(f"{name} time not set", None, Tone.ON_TRACK)
    when = relative(due, now)
    if clock.state is SlaState.BREACHED:
        tail = " – we are on it" if for_requester else ""
        return SlaSummary(f"{name} was due {when}{tail}", due, Tone.LATE)
    if clock.state is SlaState.NEAR_BREACH:
        return SlaSummary(f"{name} due soon, {when}", due, Tone.SOON)
    return SlaSummary(f"{name} expected {when}", due, Tone.ON_TRACK)


def sla_summary(*, status: TicketStatus, clocks: TicketClocks, now: datetime, for_requester: bool) -> SlaSummary:
    """One line about the SLA that matters now: the first reply until it came, then the resolution."""
    status = TicketStatus(status)
    if status in _FINISHED:
        return SlaSummary(_FINISHED[status], None, Tone.DONE)
    first, resolution = clocks.first_response, clocks.resolution
    if first is None or resolution is None:
        return SlaSummary("No target time applies", None, Tone.ON_TRACK)
    # The status decides: a ticket waiting on its requester is on hold even if no pause was recorded (imports).
    if status is TicketStatus.WAITING_ON_CUSTOMER or resolution.state is SlaState.PAUSED:
        text = "On hold until you reply" if for_requester else "Paused – waiting on requester"
        return SlaSummary(text, None, Tone.PAUSED)
    if first.met_at is None:
        return _clock_line("First reply", first, now, for_requester=for_requester)
    return _clock_line("Resolution", resolution, now, for_requester=for_requester)


def sla_promise(clocks: TicketClocks, now: datetime) -> str | None:
    """What a requester can expect of a new ticket, e.g. "a first reply within 1 hour and a fix within 1 day"."""
    first, resolution = clocks.first_response, clocks.resolution
    if first is None or resolution is None or first.due_at is None or resolution.due_at is None:
        return None
    return (f"a first reply by {absolute(first.due_at)} ({relative(first.due_at, now)}) and a resolution by "
            f"{absolute(resolution.due_at)} ({relative(resolution.due_at, now)})")


def file_size(size: int) -> str:
    """1 234 567 bytes → "1.2 MB"; people read sizes, not byte counts."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
