"""Overlay mode: deskpilot watches an ITSM's new tickets, triages them and writes back into the ITSM, which stays
the system the agents work in.

Per ticket, per the governance mode of `itsm_write_back` for the channel `itsm:<connector>` (see governance/):
off, nothing; shadow, triaged and recorded, nothing written; suggest, an internal note with the category,
priority, assignment group, a grounded draft reply with its sources and similar tickets; auto, the same note and,
when the desk chose `fields` (`overlay_write_back` in the connection), the ITSM's own fields too.

Loops are impossible by construction:
- a ticket is triaged only when it has no `OverlayTicket` row, and that row is committed before anything is
  written to the ITSM, so the update that deskpilot's own note causes finds the row and writes nothing;
- a row left `claimed` (a crash or a 429 storm between the commit and the write) is finished only after looking
  for deskpilot's note on the ticket (every note starts with `MARKER`), so a ticket gets one note;
- the cursor advances page by page like an import's, past the changes deskpilot caused, and a ticket that comes
  back with its fields as they were after the write-back produces nothing.
Agents' later changes of category, priority or group (a difference from the values the ticket had after the
write-back) come back as feedback on the triage decision: accepted when they match the suggestion, overridden
otherwise; they count in the AI KPIs like the console's.

The first run of an overlay only places its cursor after the tickets that exist and remembers the latest one's
creation (in the ITSM's clock): it never triages a desk's past, even a ticket of it that changes later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.audit import decisions
from deskpilot.audit.enums import FeedbackAction
from deskpilot.connectors.base import Connector
from deskpilot.connectors.enums import OverlayState, WriteBack
from deskpilot.connectors.importing import Progress, UnitOfWork, save_cursor, saved_cursor
from deskpilot.connectors.models import OverlayTicket
from deskpilot.connectors.records import CommentDraft, ExternalTicket, TicketChanges
from deskpilot.errors import InvalidInput, ProviderError
from deskpilot.governance.enums import AiMode
from deskpilot.tickets.enums import Priority, TicketStatus

MARKER = "[deskpilot triage]"
STREAM, START = "overlay", "overlay-start"
NEW = (TicketStatus.NEW, TicketStatus.OPEN)
FIELDS = ("category", "priority", "group_id")


@dataclass(frozen=True)
class Suggestion:
    """What triage suggests for one ITSM ticket, and the AI decisions that record it."""

    category: str | None
    confidence: float
    priority: Priority
    group_id: str | None
    group: str | None
    draft: str
    sources: tuple[str, ...]
    similar: tuple[str, ...]
    decision_id: int

    def values(self) -> dict[str, str | None]:
        return {"category": self.category, "priority": self.priority.value, "group_id": self.group_id}


Triager = Callable[[Session, ExternalTicket], Suggestion]
ModeOf = Callable[[Session], AiMode]


@dataclass(frozen=True)
class OverlayConfig:
    """The desk's choice for one connection: how auto mode writes back."""

    write_back: WriteBack = WriteBack.NOTE

    @classmethod
    def of(cls, connection: Mapping[str, str]) -> OverlayConfig:
        chosen = connection.get("overlay_write_back") or WriteBack.NOTE.value
        if chosen not in {w.value for w in WriteBack}:
            raise InvalidInput(f"overlay_write_back must be one of {', '.join(w.value for w in WriteBack)} (got "
                               f"{chosen!r}).")
        return cls(write_back=WriteBack(chosen))


@dataclass
class OverlayReport:
    baseline: int = 0
    read: int = 0
    triaged: int = 0
    notes: int = 0
    fields: int = 0
    shadow: int = 0
    feedback: int = 0
    left_alone: int = 0
    stopped: str | None = None

    def summary(self) -> str:
        if self.baseline:
            return f"cursor placed after the {self.baseline} existing tickets; new tickets are triaged from now on"
        text = (f"{self.read} tickets read, {self.triaged} triaged, {self.notes} notes and {self.fields} field "
                f"updates written, {self.shadow} in shadow, {self.feedback} feedback events, {self.left_alone} left "
                "alone")
        return text + (f"; stopped: {self.stopped}" if self.stopped else "")


def note_text(ticket: ExternalTicket, suggestion: Suggestion, *, mode: AiMode, wrote_fields: bool) -> str:
    """The internal note deskpilot writes on a ticket; its first line is `MARKER`."""
    applied = "applied to the ticket's fields" if wrote_fields else "for you to apply"
    category = (f"{suggestion.category} (confidence {suggestion.confidence:.2f})" if suggestion.category
                else "none (triage abstained)")
    lines = [f"{MARKER} {ticket.number}: suggestions {applied} ({mode.value} mode)",
             f"Category: {category}", f"Priority: {suggestion.priority.value}",
             f"Assignment group: {suggestion.group or 'none matched'}", "", "Draft reply:", suggestion.draft]
    if suggestion.sources:
        lines += ["", "Sources: " + ", ".join(suggestion.sources)]
    if suggestion.similar:
        lines += ["", "Similar tickets:", *(f"- {s}" for s in suggestion.similar)]
    return "\n".join(lines)


def is_own_note(body: str) -> bool:
    return body.lstrip().startswith(MARKER)


def current_values(ticket: ExternalTicket) -> dict[str, str | None]:
    return {"category": ticket.category, "priority": ticket.priority.value if ticket.priority else None,
            "group_id": ticket.group_id}


def feedback_of(kept: Mapping[str, Any], suggested: Mapping[str, Any], now: Mapping[str, Any]
                ) -> list[tuple[str, FeedbackAction, Any, Any]]:
    """The fields an agent changed since the write-back: (field, accepted/overridden, suggested, final)."""
    return [(name, FeedbackAction.ACCEPTED if now.get(name) == suggested.get(name) else FeedbackAction.OVERRIDDEN,
             suggested.get(name), now.get(name))
            for name in FIELDS if now.get(name) != kept.get(name)]


@dataclass
class _Run:
    units: UnitOfWork
    connector: Connector
    triage: Triager
    mode_of: ModeOf
    config: OverlayConfig
    started: datetime | None
    report: OverlayReport = field(default_factory=OverlayReport)

    def handle(self, ticket: ExternalTicket) -> None:
        with self.units() as session:
            row = session.scalar(select(OverlayTicket).where(OverlayTicket.connector == self.connector.name,
                                                             OverlayTicket.external_id == ticket.external_id))
            if row is None:
                row = self._claim(session, ticket)
                if row is None:
                    return
            elif row.state is not OverlayState.CLAIMED:
                self._feedback(session, row, ticket)
                return
            row_id, mode = row.id, AiMode(row.suggested["mode"])
        self._write(row_id, ticket, mode)

    def _claim(self, session: Session, ticket: ExternalTicket) -> OverlayTicket | None:
        """Triage a new ticket and commit its row (before any write to the ITSM); None when it is left alone."""
        mode = self.mode_of(session)
        old = self.started is not None and ticket.created_at <= self.started
        if ticket.status not in NEW or old or mode is AiMode.OFF:
            self.report.left_alone += 1
            return None
        suggestion = self.triage(session, ticket)
        self.report.triaged += 1
        shadow = mode is AiMode.SHADOW
        row = OverlayTicket(connector=self.connector.name, external_id=ticket.external_id, number=ticket.number[:64],
                            state=OverlayState.SHADOW if shadow else OverlayState.CLAIMED,
                            decision_id=suggestion.decision_id,
                            suggested=suggestion.values() | {"mode": mode.value, "note": note_text(
                                ticket, suggestion, mode=mode, wrote_fields=self._writes_fields(mode))},
                            kept=current_values(ticket))
        session.add(row)
        session.flush()
        if shadow:
            self.report.shadow += 1
            return None
        return row

    def _writes_fields(self, mode: AiMode) -> bool:
        return mode is AiMode.AUTO and self.config.write_back is WriteBack.FIELDS

    def _write(self, row_id: int, ticket: ExternalTicket, mode: AiMode) -> None:
        """Write the claimed ticket's note (and fields) unless an earlier run already did."""
        with self.units() as session:
            row = session.get_one(OverlayTicket, row_id)
            suggested, kept = dict(row.suggested), dict(row.kept)
        mine = next((c for c in ticket.comments if is_own_note(c.body)), None)
        if mine is None:
            if self._writes_fields(mode):
                priority = suggested["priority"]
                changes = TicketChanges(category=suggested["category"], group_id=suggested["group_id"],
                                        priority=Priority(priority) if priority else None)
                kept = current_values(self.connector.update_ticket(ticket.external_id, changes))
                self.report.fields += 1
            mine = self.connector.add_comment(ticket.external_id, CommentDraft(body=suggested["note"], public=False))
            self.report.notes += 1
        with self.units() as session:
            row = session.get_one(OverlayTicket, row_id)
            row.state, row.note_id, row.kept = OverlayState.WRITTEN, mine.external_id, kept

    def _feedback(self, session: Session, row: OverlayTicket, ticket: ExternalTicket) -> None:
        if row.state is OverlayState.SHADOW or row.decision_id is None:
            return
        now = current_values(ticket)
        changed = feedback_of(row.kept, row.suggested, now)
        for name, action, suggested, final in changed:
            decisions.record_feedback(session, decision_id=row.decision_id, field=name.removesuffix("_id"),
                                      action=action, suggested_value=suggested, final_value=final, actor_id=None,
                                      actor_name=f"{self.connector.name} agent")
            self.report.feedback += 1
        if changed:
            row.kept = now


def _baseline(units: UnitOfWork, connector: Connector, report: OverlayReport, page_size: int,
              progress: Progress) -> None:
    cursor, more, latest = None, True, ""
    while more:
        page = connector.tickets_since(cursor, limit=page_size)
        report.baseline += len(page.items)
        latest = max([latest, *(t.created_at.isoformat() for t in page.items)])
        cursor, more = page.cursor, page.more
        progress(f"overlay: skipping the desk's past, {report.baseline} tickets so far")
    with units() as session:
        save_cursor(session, key=connector.name, stream=START, cursor=latest)
        save_cursor(session, key=connector.name, stream=STREAM, cursor=cursor or "")


def run_overlay(*, units: UnitOfWork, connector: Connector, triage: Triager, mode_of: ModeOf,
                config: OverlayConfig, page_size: int = 50, progress: Progress = lambda _: None) -> OverlayReport:
    """One pass over the tickets changed since the overlay's cursor. Stops at the first page the ITSM cannot give
    (report.stopped); what was written stays written, and the next pass resumes at that page."""
    report = OverlayReport()
    try:
        with units() as session:
            cursor = saved_cursor(session, key=connector.name, stream=STREAM)
            started = saved_cursor(session, key=connector.name, stream=START)
        if started is None:
            _baseline(units, connector, report, page_size, progress)
            return report
        run = _Run(units=units, connector=connector, triage=triage, mode_of=mode_of, config=config,
                   started=datetime.fromisoformat(started) if started else None, report=report)
        while True:
            page = connector.tickets_since(cursor or None, limit=page_size)
            for ticket in page.items:
                run.handle(ticket)
            report.read += len(page.items)
            if page.cursor is not None and page.cursor != cursor:
                with units() as session:
                    save_cursor(session, key=connector.name, stream=STREAM, cursor=page.cursor)
            progress(f"overlay: {report.read} read, {report.notes} notes written")
            if not page.more:
                return report
            cursor = page.cursor
    except ProviderError as exc:
        report.stopped = exc.message
    return report
