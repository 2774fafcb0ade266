"""Importing a whole fixture desk from Zendesk and ServiceNow (fake servers reproducing their APIs) on both
databases: everything closed arrives once, re-importing adds nothing, a 429 storm and a killed import lose
nothing and duplicate nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from deskpilot import content_store
from deskpilot.cli import main
from deskpilot.connectors.importing import saved_cursor
from deskpilot.kb.models import KbArticle, KbVersionStatus
from deskpilot.tickets.models import Ticket, TicketAttachment
from tests.connectors.desks import Holdings, VendorDesk, holdings, run, vendor_desk
from tests.factories import make_desk

VENDORS = ["zendesk", "servicenow"]
# The import flow is shared; what a later vendor adds is its own paging, so its desk is smaller and one test
# covers it all: a storm stops the import, the rerun resumes, a third run adds nothing.
LATER_VENDORS = ["freshservice", "jsm"]


def expected(desk: VendorDesk, per_ticket_messages: int) -> Holdings:
    return Holdings(tickets=desk.closed_tickets, distinct_external_ids=desk.closed_tickets,
                    messages=desk.closed_tickets * per_ticket_messages, attachments=desk.files,
                    articles=desk.published_articles, versions=desk.published_articles, links=29)


# A Zendesk ticket becomes its description and three comments; an incident also its close notes.
MESSAGES = {"zendesk": 4, "servicenow": 5, "freshservice": 4, "jsm": 4}


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_fixture_desk_is_imported_once_and_reimporting_adds_nothing(vendor: str, session: Session, engine: Engine,
                                                                      tmp_path: Path) -> None:
    make_desk(session)
    session.commit()
    with vendor_desk(vendor) as desk:
        report = run(engine, desk.connector(), tmp_path)
        first = holdings(session)
        again = run(engine, desk.connector(), tmp_path)
        second = holdings(session)

    assert report.stopped is None and again.stopped is None
    assert desk.closed_tickets >= 250 and desk.files >= 40 and desk.published_articles >= 30
    assert first == expected(desk, MESSAGES[vendor]) and second == first
    assert sum(s.added + s.updated for s in again.streams.values()) == 0
    reasons = report.skipped_by_reason()
    assert len([r for r in reasons if r.startswith("ticket: still")]) == 1
    assert sum(len(v) for k, v in reasons.items() if k.startswith("ticket: still")) == 300 - desk.closed_tickets
    assert sum(len(v) for k, v in reasons.items() if ".exe are not accepted" in k) == desk.programs
    assert sum(len(v) for k, v in reasons.items() if k.startswith("article: not published")) == desk.draft_articles
    ticket = session.scalars(select(Ticket).where(Ticket.external_id.like(f"{vendor}:%")).limit(1)).one()
    assert ticket.status in ("resolved", "closed") and ticket.resolved_at is not None
    assert any(m.kind == "internal_note" for m in ticket.messages) and ticket.first_responded_at is not None
    stored = session.scalars(select(TicketAttachment).where(TicketAttachment.filename == "error.log").limit(1)).one()
    assert content_store.read(tmp_path / stored.path).startswith(b"2025-03-03 08:00 ERROR")
    article = session.scalars(select(KbArticle).limit(1)).one()
    version = article.versions[-1]
    assert version.status is KbVersionStatus.IN_REVIEW and version.change_note.startswith(f"imported from {desk.url}")
    assert "Restart it." in version.body and "<li>" not in version.body
    if vendor == "servicenow":  # its groups carry the names of the desk's queues
        assert session.scalar(select(Ticket.queue_id).where(Ticket.category == "network").limit(1)) is not None


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_429_storm_loses_and_duplicates_nothing(vendor: str, session: Session, engine: Engine,
                                                  tmp_path: Path) -> None:
    with vendor_desk(vendor, **{"incidents" if vendor == "servicenow" else "tickets": 60, "articles": 10}) as desk:
        desk.faults.rate_every = 4  # a quarter of all requests are refused: the client waits and retries

        def storm_after_first_ticket_page(message: str) -> None:
            if message.startswith("tickets: page 1,"):
                desk.faults.storm = 10**6  # longer than any retry policy: the import stops

        stopped = run(engine, desk.connector(), tmp_path, page_size=10, progress=storm_after_first_ticket_page)
        during = holdings(session)
        with engine.connect() as connection:
            cursor = saved_cursor(Session(connection), key=vendor, stream="tickets")
        desk.faults.storm = 0
        finished = run(engine, desk.connector(), tmp_path, page_size=10)
        after = holdings(session)

    assert stopped.stopped is not None and "rate limit reached (429)" in stopped.stopped
    assert desk.faults.answered_429 > 20
    assert 0 < during.tickets <= 10 and cursor is not None
    assert finished.stopped is None
    assert after == expected(desk, MESSAGES[vendor])


@pytest.mark.parametrize("vendor", LATER_VENDORS)
def test_a_later_vendors_desk_survives_a_storm_resumes_and_reimporting_adds_nothing(
        vendor: str, session: Session, engine: Engine, tmp_path: Path) -> None:
    with vendor_desk(vendor, tickets=40, articles=8) as desk:
        desk.faults.rate_every = 5

        def storm_after_first_ticket_page(message: str) -> None:
            if message.startswith("tickets: page 1,"):
                desk.faults.storm = 10**6

        stopped = run(engine, desk.connector(), tmp_path, page_size=10, progress=storm_after_first_ticket_page)
        during = holdings(session)
        desk.faults.storm = 0
        resumed = run(engine, desk.connector(), tmp_path, page_size=10)
        after = holdings(session)
        again = run(engine, desk.connector(), tmp_path)

    assert stopped.stopped is not None and "rate limit reached (429)" in stopped.stopped
    assert 0 < during.tickets <= 10 and resumed.stopped is None and again.stopped is None
    assert after == expected(desk, MESSAGES[vendor]) and holdings(session) == after
    assert sum(s.added + s.updated for s in again.streams.values()) == 0


@pytest.mark.parametrize("vendor", VENDORS)
def test_an_import_killed_between_pages_resumes_and_loses_and_duplicates_nothing(
        vendor: str, cli_env: dict[str, str], session: Session, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    with vendor_desk(vendor, **{"incidents" if vendor == "servicenow" else "tickets": 60, "articles": 10}) as desk:
        connections = json.dumps({vendor: desk.config})
        monkeypatch.setenv("DESKPILOT_CONNECTORS", connections)
        desk.faults.hold_page = 4  # the fourth page of tickets is never answered: the process dies waiting
        command = [sys.executable, "-m", "deskpilot.cli", "connectors", "import", vendor, "--page-size", "10"]
        process = subprocess.Popen(command, env={**os.environ, **cli_env, "DESKPILOT_CONNECTORS": connections},
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            assert desk.faults.held.wait(timeout=120), "the import never reached the fourth page"
        finally:
            process.kill()
            process.wait()
            desk.faults.release.set()
        killed = holdings(session)
        desk.faults.hold_page = None

        code = main(["connectors", "import", vendor, "--page-size", "10"])
        resumed = holdings(session)
        out = capsys.readouterr().out
        assert main(["connectors", "import", vendor]) == 0
        again = holdings(session)

    assert 20 <= killed.tickets <= 30, "three pages of ten tickets, less the open ones, were stored before the kill"
    assert code == 0 and resumed == expected(desk, MESSAGES[vendor]) and again == resumed
    assert "tickets: " in out and "skipped" in out
    with Session(session.get_bind()) as fresh:
        assert saved_cursor(fresh, key=vendor, stream="tickets") is not None
