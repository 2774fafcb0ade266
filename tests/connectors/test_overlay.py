"""Overlay mode against the Zendesk fake with the desk's real triage: one note per new ticket, never a reaction
to its own note, a 429 storm between the triage and the write resumed without a second note, agents' changes as
feedback, the governance modes and the desk's choice of writing the ITSM's fields."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.audit.decisions_models import AiDecision, AiFeedback
from deskpilot.audit.enums import DecisionKind, FeedbackAction
from deskpilot.cli import main
from deskpilot.config import Settings
from deskpilot.connectors.enums import OverlayState, WriteBack
from deskpilot.connectors.models import OverlayTicket
from deskpilot.connectors.overlay import (
    MARKER,
    OverlayConfig,
    OverlayReport,
    Suggestion,
    feedback_of,
    is_own_note,
    note_text,
    run_overlay,
)
from deskpilot.connectors.overlay_runner import overlaid
from deskpilot.connectors.overlay_triage import mode_of, triager
from deskpilot.connectors.records import ExternalTicket
from deskpilot.db import session_factory, unit_of_work
from deskpilot.errors import InvalidInput
from deskpilot.governance import switches
from deskpilot.governance.enums import AiMode, Capability
from deskpilot.jobs.registry import load_jobs
from deskpilot.runtime import AiRuntime
from deskpilot.tickets.enums import Priority, TicketStatus
from tests.connectors.desks import zendesk_desk
from tests.factories import make_desk
from tests.live_server import server_settings, serving

OPENED = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
TICKET = ExternalTicket(external_id="7", number="#7", subject="VPN drops", description="Every hour.",
                        status=TicketStatus.NEW, vendor_status="new", priority=None, category=None, requester_id="1",
                        assignee_id=None, group_id=None, created_at=OPENED, updated_at=OPENED, url="")
SUGGESTION = Suggestion(category="network", confidence=0.81, priority=Priority.P2, group_id="511", group="Network",
                        draft="Hello,\n\nRestart the client.\n\nBest regards", sources=("vpn-fix v2 §1",),
                        similar=("DP-3 'VPN drops' (similarity 0.91)",), decision_id=1)


def test_the_note_carries_every_suggestion_behind_the_marker_and_feedback_is_a_difference() -> None:
    text = note_text(TICKET, SUGGESTION, mode=AiMode.SUGGEST, wrote_fields=False)

    assert text.startswith(f"{MARKER} #7: suggestions for you to apply (suggest mode)") and is_own_note(text)
    assert "Category: network (confidence 0.81)" in text and "Priority: P2" in text
    assert "Assignment group: Network" in text and "Restart the client." in text
    assert "Sources: vpn-fix v2 §1" in text and "- DP-3 'VPN drops' (similarity 0.91)" in text
    assert not is_own_note("Thanks, [deskpilot triage] helped")
    kept = {"category": None, "priority": "P3", "group_id": None}
    suggested = SUGGESTION.values()
    assert feedback_of(kept, suggested, kept) == []
    assert feedback_of(kept, suggested, kept | {"priority": "P2", "category": "access"}) == [
        ("category", FeedbackAction.OVERRIDDEN, "network", "access"), ("priority", FeedbackAction.ACCEPTED, "P2", "P2")]
    assert OverlayConfig.of({"overlay_write_back": "fields"}).write_back is WriteBack.FIELDS
    try:
        OverlayConfig.of({"overlay_write_back": "everything"})
    except InvalidInput as exc:
        assert "must be one of note, fields" in exc.message
    else:
        raise AssertionError("an unknown write-back was accepted")


def _notes(state: Any, ticket_id: int) -> list[dict[str, Any]]:
    return [c for c in state.comments[ticket_id] if is_own_note(c["body"])]


def test_overlay_writes_one_note_per_new_ticket_never_reacts_to_itself_and_survives_a_429_storm(
        session: Session, engine: Engine, ai_runtime: AiRuntime) -> None:
    desk_people = make_desk(session)
    session.commit()
    factory = session_factory(engine, writes=True)
    with zendesk_desk(tickets=4, articles=0) as desk:
        state = desk.state
        state.groups += [{"id": 510, "name": "Service Desk L1", "deleted": False},
                         {"id": 511, "name": "Network", "deleted": False}]
        connector = desk.connector()
        groups = {g.name.lower(): g.external_id for g in connector.groups()}
        real = triager(ai_runtime, ai_runtime.settings, connector="zendesk", groups=groups)
        storm_after: list[int] = []

        def triage(session: Session, ticket: ExternalTicket) -> Suggestion:
            made = real(session, ticket)
            if storm_after and storm_after[0] == int(ticket.external_id):
                state.faults.storm = 10**6  # the ITSM refuses everything from now: the note cannot be written
            return made

        def overlay(write_back: WriteBack = WriteBack.NOTE) -> OverlayReport:
            return run_overlay(units=lambda: unit_of_work(factory), connector=connector, triage=triage,
                               mode_of=mode_of("zendesk"), config=OverlayConfig(write_back), page_size=2)

        baseline = overlay()
        requester = next(iter(state.users))
        new = [state.add_ticket(subject=subject, body=f"{subject}, since this morning.", requester_id=requester)
               for subject in ("VPN drops every hour", "Outlook crashes on start", "Printer shows paper jam")]
        state.faults.rate_every = 4
        storm_after.append(new[1])
        stormy = overlay()
        claimed = {row.external_id: row.state for row in session.scalars(select(OverlayTicket))}
        session.rollback()
        state.faults.storm = 0
        storm_after.clear()
        resumed = overlay()
        quiet = overlay()
        agent = next(u for u, raw in state.users.items() if raw["role"] == "agent")
        state.change(new[0], {"priority": "low"}, author_id=agent)
        feedback = overlay()
        switches.set_mode(session, actor=Principal.of(desk_people.adam), capability=Capability.ITSM_WRITE_BACK,
                          new_mode=AiMode.SHADOW, scope="channel:zendesk")
        session.commit()
        shadowed = state.add_ticket(subject="Wi-Fi on floor 3 is down", body="No signal.", requester_id=requester)
        shadow = overlay()
        switches.set_mode(session, actor=Principal.of(desk_people.adam), capability=Capability.ITSM_WRITE_BACK,
                          new_mode=AiMode.AUTO, scope="channel:zendesk")
        session.commit()
        fielded = state.add_ticket(subject="Locked out of my account", body="Password expired.", requester_id=requester)
        auto = overlay(WriteBack.FIELDS)

    assert baseline.baseline == 4 and baseline.notes == 0, "the desk's past is never triaged"
    assert all(not _notes(state, t) for t in state.tickets if t not in (*new, fielded))
    assert stormy.stopped is not None and "rate limit reached (429)" in stormy.stopped and stormy.notes == 1
    assert claimed == {str(new[0]): OverlayState.WRITTEN, str(new[1]): OverlayState.CLAIMED}
    assert resumed.stopped is None and resumed.notes == 2 and resumed.triaged == 1
    assert [len(_notes(state, t)) for t in new] == [1, 1, 1], "exactly one note per new ticket"
    assert all(not c["public"] for t in new for c in _notes(state, t)), "notes are internal"
    assert quiet == OverlayReport(), "the cursor is past its own writes: nothing comes back, nothing is written"
    assert (feedback.notes, feedback.feedback) == (0, 1)
    given = session.scalars(select(AiFeedback)).one()
    assert (given.field, given.final_value, given.actor_id) == ("priority", "P4", None)
    assert given.action in (FeedbackAction.ACCEPTED, FeedbackAction.OVERRIDDEN)
    assert (shadow.shadow, shadow.notes) == (1, 0) and not _notes(state, shadowed)
    assert session.scalar(select(OverlayTicket.state).where(OverlayTicket.external_id == str(shadowed))) == "shadow"
    assert (auto.notes, auto.fields) == (1, 1) and len(_notes(state, fielded)) == 1
    row = session.scalars(select(OverlayTicket).where(OverlayTicket.external_id == str(fielded))).one()
    assert state.tickets[fielded]["priority"] == {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low"}[
        row.suggested["priority"]]
    assert row.suggested["group_id"] in (None, "510", "511")
    kinds = {(d.kind, d.subject_type) for d in session.scalars(select(AiDecision))}
    assert kinds == {(DecisionKind.TRIAGE, "itsm_ticket"), (DecisionKind.DRAFT, "itsm_ticket")}


def test_a_webhook_with_the_connections_secret_makes_a_pass_and_other_calls_are_refused(
        session: Session, database_url: str, ai_runtime: AiRuntime, tmp_path: Path) -> None:
    make_desk(session)
    session.commit()
    with zendesk_desk(tickets=2, articles=0) as desk:
        connection = desk.config | {"webhook_secret": "s3cret-hook"}
        settings = server_settings(database_url, tmp_path / "var", connectors={"zendesk": connection})
        with serving(settings, ai_runtime) as url:
            hook = f"{url}/api/v1/connectors/zendesk/webhook"
            wrong = httpx.post(hook, headers={"X-Deskpilot-Webhook-Token": "guess"}, timeout=30)
            unknown = httpx.post(f"{url}/api/v1/connectors/jsm/webhook", timeout=30)
            first = httpx.post(hook, headers={"X-Deskpilot-Webhook-Token": "s3cret-hook"}, timeout=60)
            made = desk.state.add_ticket(subject="VPN drops every hour", body="Since 9.",
                                         requester_id=next(iter(desk.state.users)))
            second = httpx.post(hook, headers={"X-Deskpilot-Webhook-Token": "s3cret-hook"}, timeout=60)
            again = httpx.post(hook, headers={"X-Deskpilot-Webhook-Token": "s3cret-hook"}, timeout=60)

    assert (wrong.status_code, unknown.status_code) == (403, 404) and "webhook_secret" in unknown.json()["message"]
    assert first.status_code == 202 and first.json()["notes"] == 0, "the first pass places the cursor"
    assert second.status_code == 202 and (second.json()["triaged"], second.json()["notes"]) == (1, 1)
    assert again.json()["notes"] == 0 and len(_notes(desk.state, made)) == 1


def test_the_overlay_job_is_registered_and_the_command_refuses_an_unknown_connection(
        deskpilot_entry_points: Path, cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    jobs = load_jobs()
    assert "connectors.overlay" in jobs
    assert jobs["connectors.overlay"].interval(Settings(connectors={"zendesk": {"overlay": "on"}})) == 60.0
    assert jobs["connectors.overlay"].interval(Settings(connectors={"zendesk": {}})) is None
    assert overlaid({"jsm": {"overlay": "on"}, "zendesk": {}}) == ["jsm"]
    assert main(["connectors", "overlay", "zendesk", "--once", "--interval", "1"]) == 2
    assert "--interval must be at least 5 seconds" in capsys.readouterr().err
