"""`http.request` against a real HTTP server on loopback (allow-listed hosts only) and `ticket.update` with its
rollback: a failing call rolls the ticket back, a later rollback restores it, a call cannot be undone."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.config import Environment, Settings
from deskpilot.errors import Conflict, PermissionDenied
from deskpilot.runbooks import executor
from deskpilot.runbooks import service as definitions
from deskpilot.runbooks.enums import RunStatus, StepStatus
from deskpilot.runbooks.executor import RunRequest
from deskpilot.runbooks.models import RunbookRun
from deskpilot.tickets import service as tickets
from deskpilot.tickets.enums import Priority
from tests.factories import Desk, open_ticket
from tests.runbooks.conftest import AUTHOR

RUNBOOK = """
name: raise-and-notify
title: Raise the priority and tell the monitoring system
risk: low
target: "monitoring:{{{{ params.service }}}}"
parameters: [{{name: service, type: text}}]
steps:
  - {{id: raise, action: ticket.update, inputs: {{priority: P1}}, rollback: ticket.update}}
  - {{id: notify, action: http.request, inputs: {{method: POST, url: "{url}/incidents",
     json_body: {{severity: high, service: "{{{{ params.service }}}}"}}}},
     irreversible: "the monitoring system keeps its incident log"}}
"""


class Monitoring(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]
    status = 201

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        length = int(self.headers.get("Content-Length", "0"))
        type(self).received.append({"path": self.path, "body": json.loads(self.rfile.read(length) or b"{}")})
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"incident": 42}')

    def log_message(self, *_args: object) -> None:
        return


@pytest.fixture
def monitoring() -> Iterator[tuple[str, type[Monitoring]]]:
    handler = type("Handler", (Monitoring,), {"received": [], "status": 201})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()


def _settings(database_url: str, tmp_path: Path, allowed: list[str]) -> Settings:
    return Settings(database_url=database_url, environment=Environment.TEST, data_dir=tmp_path / "var",
                    runbook_http_allowed_hosts=allowed, password_time_cost=1, password_memory_kib=64)


def _approved(session: Session, desk: Desk, url: str) -> None:
    version = definitions.create(session, actor=AUTHOR, source=RUNBOOK.format(url=url))
    definitions.approve(session, actor=Principal.of(desk.lena), name="raise-and-notify", version=version.version,
                        reviewed_hash=version.content_hash)


def _run(session: Session, settings: Settings, desk: Desk, ticket_id: int) -> RunbookRun:
    carol = Principal.of(desk.carol)
    request = RunRequest(runbook="raise-and-notify", parameters={"service": "mail"}, ticket_id=ticket_id)
    plan = executor.dry_run(session, settings=settings, actor=carol, request=request)
    return executor.run(session, settings=settings, actor=carol,
                        request=RunRequest(runbook="raise-and-notify", parameters={"service": "mail"},
                                           ticket_id=ticket_id, dry_run_id=plan.id))


def test_the_call_reaches_the_allow_listed_host_and_the_ticket_changes(
        session: Session, desk: Desk, database_url: str, tmp_path: Path,
        monitoring: tuple[str, type[Monitoring]]) -> None:
    url, server = monitoring
    settings = _settings(database_url, tmp_path, ["127.0.0.1"])
    _approved(session, desk, url)
    ticket = open_ticket(session, desk, desk.alice)
    run = _run(session, settings, desk, ticket.id)
    session.commit()
    assert run.status is RunStatus.SUCCEEDED
    assert server.received == [{"path": "/incidents", "body": {"severity": "high", "service": "mail"}}]
    assert tickets.get(session, actor=Principal.of(desk.carol), ticket_id=ticket.id).priority is Priority.P1
    steps = executor.run_steps(session, run_id=run.id)
    assert steps[1].output["status"] == 201 and '"incident": 42' in steps[1].output["body"]
    with pytest.raises(Conflict, match="notify cannot be undone"):
        executor.rollback(session, settings=settings, actor=Principal.of(desk.lena), run_id=run.id)


def test_a_failing_call_rolls_the_ticket_back(session: Session, desk: Desk, database_url: str, tmp_path: Path,
                                              monitoring: tuple[str, type[Monitoring]]) -> None:
    url, server = monitoring
    server.status = 503
    settings = _settings(database_url, tmp_path, ["127.0.0.1"])
    _approved(session, desk, url)
    ticket = open_ticket(session, desk, desk.alice)
    before = ticket.priority
    run = _run(session, settings, desk, ticket.id)
    session.commit()
    assert run.status is RunStatus.ROLLED_BACK and "503" in (run.error or "")
    steps = executor.run_steps(session, run_id=run.id)
    assert [s.status for s in steps] == [StepStatus.ROLLED_BACK, StepStatus.FAILED]
    assert tickets.get(session, actor=Principal.of(desk.carol), ticket_id=ticket.id).priority == before
    notes = tickets.get_messages(session, actor=Principal.of(desk.carol), ticket_id=ticket.id)
    assert any("Completed steps rolled back: raise" in m.body for m in notes)


def test_a_host_off_the_allow_list_is_refused_before_anything_changes(
        session: Session, desk: Desk, database_url: str, tmp_path: Path,
        monitoring: tuple[str, type[Monitoring]]) -> None:
    url, server = monitoring
    settings = _settings(database_url, tmp_path, ["monitoring.northwind.example"])
    _approved(session, desk, url)
    ticket = open_ticket(session, desk, desk.alice)
    before = ticket.priority
    with pytest.raises(PermissionDenied, match="not in DESKPILOT_RUNBOOK_HTTP_ALLOWED_HOSTS"):
        _run(session, settings, desk, ticket.id)
    assert server.received == []
    assert tickets.get(session, actor=Principal.of(desk.carol), ticket_id=ticket.id).priority == before
