"""`deskpilot eval conversations --url` end to end: a small replay file through the real chat API of the live
server, one fresh requester per case, the set-up ticket of a status case opened through the API first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.models import User
from deskpilot.accounts.principal import Principal
from deskpilot.cli import main
from deskpilot.evaluation.conversations_cases import DEV, read_cases
from deskpilot.tickets.models import Ticket
from tests.conversations.conftest import load_chat_kb
from tests.factories import Desk
from tests.live_server import desk, live_server  # noqa: F401 - fixtures of the tests in this file
from tests.web.conftest import sla_24x7  # noqa: F401 - fixture of the tests in this file

# One VPN article among six, so the served app's default threshold answers the VPN question outright.
ARTICLES = ("vpn-connect-windows", "printer-add", "password-reset-self-service", "outlook-not-syncing",
            "wifi-corporate-nw-corp", "teams-audio-video")
CASES = """format_version: 1
cases:
- {id: vpn, intent: vpn, expect: answer, slugs: [vpn-connect-windows], say: "My VPN keeps disconnecting"}
- {id: person, intent: handoff, expect: handoff, say: "I want to talk to a person"}
- {id: status, intent: status, expect: status, ticket: "Docking station broken", say: "any update on DP-{ticket}?"}
- {id: hello, intent: small_talk, expect: small_talk, say: "hello"}
- id: solved
  intent: vpn
  expect: answer
  slugs: [vpn-connect-windows]
  turns: ["My VPN keeps disconnecting", "yes that fixed it", "thanks again"]
"""
CONTRACT = {"handled_right", "by_intent", "resolved_without_human", "answer_precision"}


def test_the_command_replays_cases_through_the_live_api_and_reports_the_contract_keys(
        live_server: str, session: Session, desk: Desk, sla_24x7: None,  # noqa: F811 - fixtures
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    del sla_24x7
    load_chat_kb(session, ARTICLES)
    _token, secret = accounts.issue_token(session, actor=Principal.of(desk.adam), user_id=desk.adam.id, name="eval")
    session.commit()
    cases = tmp_path / "cases.yaml"
    cases.write_text(CASES, encoding="utf-8")

    assert main(["eval", "conversations", "--cases", str(cases), "--url", live_server, "--token", secret,
                 "--json"]) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)

    assert set(report) >= CONTRACT
    assert "5/5" in err
    failed = {f["id"]: f for f in report["failures"]}
    assert "vpn" not in failed and "person" not in failed and "solved" not in failed
    assert all(f["observed"] != "error" for f in failed.values())
    assert report["handled_right"] == pytest.approx((5 - len(failed)) / 5, abs=1e-4)
    assert set(report["by_intent"]) == {"vpn", "handoff", "status", "small_talk"}
    assert report["by_intent"]["vpn"]["handled_right"] == 1.0
    assert report["baseline"]["handled_right"] is not None
    assert report["resolved_without_human"] == 1.0 and report["answer_precision"] <= 1.0
    session.expire_all()
    requesters = session.scalars(select(User).where(User.username.like("eval-%"))).all()
    assert len(requesters) == 5
    # Subjects are sealed at rest: compared once opened, not in SQL.
    (set_up,) = [ticket for ticket in session.scalars(select(Ticket)) if ticket.subject == "Docking station broken"]
    assert set_up.requester_id in {u.id for u in requesters}


def test_split_replays_only_that_half_of_the_cases(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(CASES, encoding="utf-8")
    halves = {c.id: c.split for c in read_cases(cases)}
    # No desk listens on port 1: every case is an API failure, but only the chosen half is attempted.
    assert main(["eval", "conversations", "--cases", str(cases), "--url", "http://127.0.0.1:1", "--token", "x",
                 "--split", DEV, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)

    assert {f["id"] for f in report["failures"]} == {i for i, half in halves.items() if half == DEV}
    assert set(report["by_split"]) == {DEV}
