"""`deskpilot connectors import NAME --file`: a Zendesk JSON export and ServiceNow CSV and XML exports, for desks
without API access, through the CLI on both databases; bad files are clear errors that import nothing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.models import User
from deskpilot.cli import main
from deskpilot.kb.models import KbArticle
from deskpilot.tickets.models import Ticket, TicketMessage
from tests.connectors.desks import holdings, run, zendesk_desk
from tests.factories import make_desk


def _tickets(session: Session, prefix: str) -> list[Ticket]:
    session.rollback()
    return list(session.scalars(select(Ticket).where(Ticket.external_id.like(f"{prefix}%")).order_by(Ticket.id)))


def test_a_zendesk_json_export_imports_like_the_api_and_the_api_adds_nothing_after_it(
        cli_env: dict[str, str], session: Session, engine: Engine, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    with zendesk_desk(tickets=40, articles=8) as desk:
        state = desk.state
        lines = [*state.users.values(),
                 *({**t, "comments": state.comments[t["id"]], "audits": state.audits[t["id"]]}
                   for t in state.tickets.values()), *state.articles.values()]
        export = tmp_path / "zendesk-export.json"
        export.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")

        assert main(["connectors", "import", "zendesk", "--file", str(export), "--report",
                     str(tmp_path / "skipped.json")]) == 0
        out = capsys.readouterr().out
        from_file = holdings(session)
        assert main(["connectors", "import", "zendesk", "--file", str(export)]) == 0
        again = holdings(session)
        api = run(engine, desk.connector(), tmp_path)
        after_api = holdings(session)

    assert from_file.tickets == desk.closed_tickets and from_file.articles == desk.published_articles
    assert from_file.attachments == 0 and again == from_file
    assert after_api.tickets == from_file.tickets and api.streams["tickets"].added == 0
    assert "the export holds no file contents" in out and "skipped" in out
    skipped = json.loads((tmp_path / "skipped.json").read_text())
    assert {s["kind"] for s in skipped} == {"user", "ticket", "attachment", "article"}


def _servicenow_csv(path: Path) -> None:
    rows = [
        {"sys_id": "9d385017c611228701d22104cc95c371", "number": "INC0000003",
         "short_description": "Wireless access is down", "description": "Floor 3.", "state": "Closed",
         "priority": "2 - High", "category": "network", "caller_id": "Abel Tuter",
         "caller_id.email": "abel.tuter@example.com", "sys_created_on": "2024-08-11 08:00:00",
         "sys_updated_on": "2024-08-12 10:05:00", "close_notes": "Replaced the access point.",
         "comments_and_work_notes": "2024-08-11 08:40:00 - Beth Anglin (Work notes)\nAP-3 offline."},
        {"sys_id": "", "number": "INC0000004", "short_description": "Printer jammed", "description": "",
         "state": "Resolved", "priority": "4 - Low", "category": "hardware", "caller_id": "Bow Ruggeri",
         "caller_id.email": "", "sys_created_on": "2024-08-13 09:00:00", "sys_updated_on": "2024-08-13 11:00:00",
         "close_notes": "", "comments_and_work_notes": ""},
        {"sys_id": "", "number": "INC0000005", "short_description": "New laptop", "description": "",
         "state": "In Progress", "priority": "3 - Moderate", "category": "hardware", "caller_id": "Abel Tuter",
         "caller_id.email": "abel.tuter@example.com", "sys_created_on": "2024-08-14 09:00:00",
         "sys_updated_on": "2024-08-14 09:30:00", "close_notes": "", "comments_and_work_notes": ""}]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_a_servicenow_csv_export_imports_closed_incidents_matching_callers_by_email(
        cli_env: dict[str, str], session: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_desk(session)
    session.commit()
    export = tmp_path / "incident.csv"
    _servicenow_csv(export)

    assert main(["connectors", "import", "servicenow", "--file", str(export)]) == 0
    first = capsys.readouterr().out
    assert [t.external_id for t in _tickets(session, "servicenow:")] == [
        "servicenow:9d385017c611228701d22104cc95c371"]
    assert main(["connectors", "import", "servicenow", "--file", str(export), "--fallback-requester", "alice",
                 "--from-start"]) == 0
    tickets = _tickets(session, "servicenow:")

    assert "its requester (none) has no desk account" in first and "still In Progress" in first
    assert [(t.external_id, t.priority, t.status, t.category) for t in tickets] == [
        ("servicenow:9d385017c611228701d22104cc95c371", "P2", "closed", "network"),
        ("servicenow:INC0000004", "P4", "resolved", "hardware")]
    assert session.scalar(select(User.email).where(User.id == tickets[0].requester_id)) == "abel.tuter@example.com"
    assert session.scalar(select(User.username).where(User.id == tickets[1].requester_id)) == "alice"
    bodies = [m.body for m in session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == tickets[0].id))]
    assert bodies[0] == "Floor 3." and "AP-3 offline." in bodies[1] and bodies[-1] == "Replaced the access point."


XML = """<?xml version="1.0" encoding="UTF-8"?>
<unload unload_date="2024-08-20 10:00:00">
<sys_user action="INSERT_OR_UPDATE"><sys_id>u1</sys_id><user_name>abel.tuter</user_name><name>Abel Tuter</name>
<email>abel.tuter@example.com</email><active>true</active>
<sys_updated_on>2024-01-01 00:00:00</sys_updated_on></sys_user>
<incident action="INSERT_OR_UPDATE"><sys_id>i1</sys_id><number>INC0000007</number>
<short_description>VPN drops</short_description><description>Every hour.</description><state>6</state>
<priority>3</priority><category>network</category><caller_id display_value="Abel Tuter">u1</caller_id>
<assigned_to/><assignment_group/><close_notes>Updated the client.</close_notes>
<sys_created_on>2024-08-01 08:00:00</sys_created_on><sys_updated_on>2024-08-02 08:00:00</sys_updated_on></incident>
<sys_journal_field action="INSERT_OR_UPDATE"><sys_id>j1</sys_id><element>comments</element><element_id>i1</element_id>
<value>Which client version?</value><sys_created_on>2024-08-01 09:00:00</sys_created_on>
<sys_created_by>beth.anglin</sys_created_by></sys_journal_field>
<kb_knowledge action="INSERT_OR_UPDATE"><sys_id>k1</sys_id><number>KB0000011</number>
<short_description>Fix VPN drops</short_description><text>&lt;p&gt;Update the client.&lt;/p&gt;</text>
<workflow_state>published</workflow_state><sys_updated_on>2024-08-03 08:00:00</sys_updated_on></kb_knowledge>
</unload>"""


def test_a_servicenow_xml_export_brings_incidents_with_journal_users_and_articles(
        cli_env: dict[str, str], session: Session, tmp_path: Path) -> None:
    export = tmp_path / "incident.xml"
    export.write_text(XML, encoding="utf-8")

    assert main(["connectors", "import", "servicenow", "--file", str(export)]) == 0
    assert main(["connectors", "import", "servicenow", "--file", str(export)]) == 0

    (ticket,) = _tickets(session, "servicenow:")
    assert ticket.external_id == "servicenow:i1" and ticket.status == "resolved"
    assert [m.body for m in ticket.messages] == ["Every hour.", "Which client version?", "Updated the client."]
    article = session.scalars(select(KbArticle)).one()
    assert (article.slug, article.versions[-1].body, article.versions[-1].status) == (
        "servicenow-k1", "Update the client.", "in_review")


@pytest.mark.parametrize(("name", "filename", "content", "message"), [
    ("servicenow", "incident.csv", "number,short_description\nINC1,x\n", "lacks the column(s) state"),
    ("servicenow", "incident.xml", '<!DOCTYPE x [<!ENTITY a "b">]><unload/>', "DOCTYPE is refused"),
    ("servicenow", "incident.txt", "x", "is .csv or .xml"),
    ("zendesk", "export.json", '{"name": "Abel", "email": "abel@example.com", "id": 7}\n{broken', "line 2: not JSON"),
    ("zendesk", "export.json", '{"id": 1, "subject": "x", "status": "weird", "created_at": "2024-01-01T00:00:00Z",'
     ' "updated_at": "2024-01-01T00:00:00Z"}', "cannot read it as Zendesk JSON"),
    ("jira", "export.json", "{}", "No export format is known for 'jira'"),
    ("jsm", "issues.csv", "Summary,Issue key\nx,SD-1\n", "lacks the column(s) Issue id, Status, Created"),
    ("jsm", "issues.json", "{}", "is the issue navigator's CSV"),
    ("freshservice", "tickets.csv", "Ticket Id,Subject,Status,Created Date\n7,x,Sleeping,2024-01-01 10:00:00\n",
     "row 2: unknown Status 'Sleeping'"),
])
def test_a_bad_export_is_a_clear_error_and_imports_nothing(
        cli_env: dict[str, str], session: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str,
        filename: str, content: str, message: str) -> None:
    export = tmp_path / filename
    export.write_text(content, encoding="utf-8")

    assert main(["connectors", "import", name, "--file", str(export)]) == 2

    assert message in capsys.readouterr().err
    assert session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_the_commands_say_what_is_installed_configured_and_missing(
        cli_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["connectors", "list"]) == 0
    listed = capsys.readouterr().out
    assert "servicenow: not configured" in listed and "zendesk: not configured" in listed
    assert main(["connectors", "import", "zendesk"]) == 2
    assert "No connection for 'zendesk': set DESKPILOT_CONNECTORS" in capsys.readouterr().err
    assert main(["connectors", "import", "zendesk", "--file", str(tmp_path / "nope.json")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["connectors", "import", "zendesk", "--only", "tickets,macros"]) == 2
    assert "--only: unknown macros" in capsys.readouterr().err


JIRA_CSV = (
    "Summary,Issue key,Issue id,Issue Type,Status,Status Category,Priority,Reporter,Reporter Id,Assignee Id,Created,"
    "Updated,Description,Comment,Comment\n"
    "VPN drops,SD-7,10007,Get IT help,Resolved,Done,High,Abel,acc-abel,,03/Mar/25 8:00 AM,04/Mar/25 9:15 AM,"
    "Every hour.,03/Mar/25 8:40 AM;acc-beth;Which client?,04/Mar/25 9:10 AM;acc-beth;Updated the client.\n"
    "New laptop,SD-8,10008,Get IT help,In Progress,In Progress,Medium,Abel,acc-abel,,05/Mar/25 8:00 AM,"
    "05/Mar/25 8:30 AM,,,\n")
FRESHSERVICE_CSV = (
    "Ticket Id,Subject,Description,Status,Priority,Requester Name,Requester Email,Category,Created Date,"
    "Last Updated Time\n"
    "INC-31,Printer jammed,Floor 2.,Closed,Low,Abel Tuter,abel.tuter@example.com,Hardware,2024-08-13 09:00:00,"
    "2024-08-13 11:00:00\n"
    "INC-32,Wi-Fi down,,Open,Urgent,Abel Tuter,abel.tuter@example.com,Network,2024-08-14 09:00:00,"
    "2024-08-14 09:05:00\n")


def test_jira_and_freshservice_csv_exports_import_closed_tickets_once(
        cli_env: dict[str, str], session: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_desk(session)
    session.commit()
    jira, fresh = tmp_path / "issues.csv", tmp_path / "tickets.csv"
    jira.write_text(JIRA_CSV, encoding="utf-8")
    fresh.write_text(FRESHSERVICE_CSV, encoding="utf-8")

    assert main(["connectors", "import", "jsm", "--file", str(jira), "--fallback-requester", "alice"]) == 0
    assert main(["connectors", "import", "freshservice", "--file", str(fresh)]) == 0
    out = capsys.readouterr().out
    assert main(["connectors", "import", "jsm", "--file", str(jira), "--fallback-requester", "alice",
                 "--from-start"]) == 0
    assert main(["connectors", "import", "freshservice", "--file", str(fresh), "--from-start"]) == 0

    (issue,) = _tickets(session, "jsm:")
    (ticket,) = _tickets(session, "freshservice:")
    assert (issue.external_id, issue.subject, issue.priority, issue.status) == ("jsm:10007", "VPN drops", "P2",
                                                                                "resolved")
    assert [(m.body, m.kind) for m in issue.messages] == [
        ("Every hour.", "public_reply"), ("Which client?", "internal_note"), ("Updated the client.", "internal_note")]
    assert (ticket.external_id, ticket.priority, ticket.status, ticket.category) == (
        "freshservice:31", "P4", "closed", "Hardware")
    assert session.scalar(select(User.email).where(User.id == ticket.requester_id)) == "abel.tuter@example.com"
    assert "still In Progress" in out and "still Open" in out
