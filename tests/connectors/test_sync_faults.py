"""The sync under faults, against the Zendesk fake: a 429 storm between two writes, and a process killed right after
a write reached the ITSM but before its result was committed; afterwards every comment is on each side exactly once
and the fields agree. Also the command and the periodic job."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.cli import main
from deskpilot.config import Settings
from deskpilot.connectors.records import CommentDraft, ExternalComment, ExternalTicket
from deskpilot.jobs.registry import load_jobs
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import MessageKind, Priority
from deskpilot.tickets.schemas import MessageCreate, TicketUpdate
from tests.connectors.desks import zendesk_desk
from tests.connectors.sync_desk import SyncedDesk, linked_ticket, quiet, thread
from tests.factories import make_desk


class Killed(BaseException):
    """The process dying: not an error the sync handles."""


def _reply(session: Session, actor: Principal, ticket_id: int, body: str) -> None:
    tickets.add_message(session, actor=actor, ticket_id=ticket_id,
                        data=MessageCreate(body=body, kind=MessageKind.PUBLIC_REPLY))


def test_a_429_storm_and_a_crash_mid_sync_lose_and_duplicate_nothing(
        session: Session, engine: Engine, tmp_path: Path) -> None:
    people = make_desk(session)
    session.commit()
    lena = Principal.of(people.lena)
    with zendesk_desk(tickets=3, articles=0) as desk:
        zd = desk.state
        requester = next(u for u, raw in zd.users.items() if raw["role"] == "end-user" and raw["email"])
        made = zd.add_ticket(subject="Outlook crashes on start", body="Every morning.", requester_id=requester)
        connector = desk.connector()
        synced = SyncedDesk(engine, connector, tmp_path)
        synced.sync()
        ticket_id = linked_ticket(session, "zendesk", made).id
        real_comment, real_update = connector.add_comment, connector.update_ticket

        for n in range(3):
            _reply(session, lena, ticket_id, f"Storm reply {n}")
        session.commit()

        def storm_after_one(external_id: str, comment: CommentDraft) -> ExternalComment:
            written = real_comment(external_id, comment)
            zd.faults.storm = 10**6  # the ITSM refuses everything from now on
            return written

        connector.add_comment = storm_after_one  # type: ignore[method-assign]
        stormy = synced.sync()
        connector.add_comment = real_comment  # type: ignore[method-assign]
        zd.faults.storm, zd.faults.rate_every = 0, 3  # every third request is refused once more, and retried
        resumed = synced.sync()
        zd.faults.rate_every = 0

        tickets.update(session, actor=lena, ticket_id=ticket_id, data=TicketUpdate(priority=Priority.P1))
        _reply(session, lena, ticket_id, "Crash reply")
        session.commit()
        zd.add_comment(made, body="Any news?", public=True, author_id=requester)

        def killed_after(write: Callable[..., Any]) -> Callable[..., Any]:
            def kill(*args: Any) -> Any:
                write(*args)
                raise Killed
            return kill

        connector.update_ticket = killed_after(real_update)  # type: ignore[method-assign]
        with pytest.raises(Killed):
            synced.sync()
        connector.update_ticket = real_update  # type: ignore[method-assign]
        connector.add_comment = killed_after(real_comment)  # type: ignore[method-assign]
        with pytest.raises(Killed):
            synced.sync()
        connector.add_comment = real_comment  # type: ignore[method-assign]
        recovered = synced.sync()
        after = synced.sync()
        remote: ExternalTicket = connector.ticket(str(made))

    assert stormy.stopped is not None and "rate limit reached (429)" in stormy.stopped and stormy.comments_out == 1
    assert resumed.stopped is None and resumed.comments_out == 2 and zd.faults.answered_429 > 8
    assert recovered.recovered == 1 and recovered.comments_out == 0 and recovered.to_itsm == 0, (
        "the comment written before the kill is recognised, not written again")
    priority_writes = [e for a in zd.audits[made] for e in a["events"] if e.get("field_name") == "priority"]
    assert len(priority_writes) == 1, "the field written before the first kill was recognised by the next pass"
    assert quiet(after)
    desk_bodies = [body for _, body in thread(session, ticket_id)]
    zd_bodies = [c["body"] for c in zd.comments[made]]
    expected = ["Every morning.", "Storm reply 0", "Storm reply 1", "Storm reply 2", "Crash reply", "Any news?"]
    assert sorted(desk_bodies) == sorted(zd_bodies) == sorted(expected), "every comment once on each side"
    assert remote.priority is Priority.P1 and linked_ticket(session, "zendesk", made).priority is Priority.P1


def test_a_pass_killed_between_two_pages_of_the_itsm_resumes_without_losing_or_doubling_a_comment(
        session: Session, engine: Engine, tmp_path: Path) -> None:
    make_desk(session)
    session.commit()
    with zendesk_desk(tickets=3, articles=0) as desk:
        zd = desk.state
        requester = next(u for u, raw in zd.users.items() if raw["role"] == "end-user" and raw["email"])
        made = [zd.add_ticket(subject=f"Laptop {n} does not boot", body="Black screen.", requester_id=requester)
                for n in range(4)]
        connector = desk.connector()
        synced = SyncedDesk(engine, connector, tmp_path)
        synced.sync()
        for ticket_id in made:
            zd.add_comment(ticket_id, body=f"Tried safe mode on {ticket_id}.", public=True, author_id=requester)
        real_pages, calls = connector.tickets_since, []

        def killed_on_second_page(cursor: str | None, *, limit: int) -> Any:
            calls.append(cursor)
            if len(calls) == 2:
                raise Killed
            return real_pages(cursor, limit=limit)

        connector.tickets_since = killed_on_second_page  # type: ignore[method-assign]
        with pytest.raises(Killed):
            synced.sync()
        connector.tickets_since = real_pages  # type: ignore[method-assign]
        resumed = synced.sync()

    assert resumed.comments_in == 1, "the first page was stored with its cursor; only the second is read again"
    for ticket_id in made:
        bodies = [body for _, body in thread(session, linked_ticket(session, "zendesk", ticket_id).id)]
        assert bodies == ["Black screen.", f"Tried safe mode on {ticket_id}."]


def test_the_sync_command_and_job_run_a_pass_over_the_configured_connection(
        deskpilot_entry_points: Path, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    jobs = load_jobs()
    assert jobs["connectors.sync"].interval(Settings(connectors={"zendesk": {"sync": "on"}})) == 60.0
    assert jobs["connectors.sync"].interval(Settings(connectors={"zendesk": {}})) is None
    with zendesk_desk(tickets=3, articles=0) as desk:
        zd = desk.state
        zd.add_ticket(subject="VPN drops", body="Since 9.", requester_id=next(
            u for u, raw in zd.users.items() if raw["role"] == "end-user" and raw["email"]))
        monkeypatch.setenv("DESKPILOT_CONNECTORS", json.dumps({"zendesk": desk.config | {"sync": "on"}}))
        assert main(["connectors", "sync", "zendesk", "--once"]) == 0
        first = capsys.readouterr().out
        assert main(["connectors", "sync", "zendesk", "--once"]) == 0
        second = capsys.readouterr().out
    assert "1 newly linked" in first and "0 newly linked" in second and "0 comments in, 0 out" in second
    monkeypatch.setenv("DESKPILOT_CONNECTORS", json.dumps({"zendesk": {"sync_deskpilot_owns": "subject"}}))
    assert main(["connectors", "sync", "zendesk", "--once"]) == 2
    assert "sync_deskpilot_owns: unknown field(s) subject" in capsys.readouterr().err
