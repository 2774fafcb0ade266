"""/api/v1/analytics over HTTP: who may read the KPIs, the JSON shape, the CSV export and bad filters."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.conversations import service as conversations
from deskpilot.conversations.enums import Resolution
from deskpilot.conversations.state import Author, ConversationState, Speaker
from tests.api.conftest import Clients
from tests.factories import Desk, open_ticket


@pytest.mark.parametrize("persona", ["lena", "adam", "audrey"])
def test_leads_admins_and_auditors_read_the_kpis(clients: Clients, persona: str) -> None:
    response = clients[persona].get("/api/v1/analytics/kpis", params={"from": "2026-01-01", "to": "2026-01-31"})
    assert response.status_code == 200
    body = response.json()
    assert body["filters"] == {"from": "2026-01-01", "to": "2026-01-31", "queue_id": None, "channel": None}
    keys = {kpi["key"] for kpi in body["kpis"]}
    assert {"first_contact_resolution", "mttr_hours", "sla_breach_rate", "roi", "triage_accuracy_category"} <= keys
    assert {"conversations", "deflection_rate", "self_service_completion_rate", "handoff_rate", "csat_ai_handled",
            "csat_human_handled"} <= keys
    assert all(kpi["formula"] for kpi in body["kpis"])
    assert len(body["tables"]["trend_day"]["rows"]) == 31
    assert {"handoff_reasons", "conversation_csat"} <= set(body["tables"])
    assert body["unavailable"] == []


@pytest.mark.parametrize("persona", ["alice", "carol", "dave"])
def test_requesters_and_agents_are_refused(clients: Clients, persona: str) -> None:
    assert clients[persona].get("/api/v1/analytics/kpis").status_code == 403
    assert clients[persona].get("/api/v1/analytics/kpis/kpis.csv").status_code == 403


def test_anonymous_callers_must_sign_in(clients: Clients) -> None:
    assert clients["anonymous"].get("/api/v1/analytics/kpis").status_code == 401


def test_csv_export_counts_the_tickets_of_the_queue(clients: Clients, session: Session, desk: Desk) -> None:
    for _ in range(3):
        open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    open_ticket(session, desk, desk.bob, queue=desk.network)
    session.commit()
    response = clients["lena"].get("/api/v1/analytics/kpis/queues.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = {row["queue"]: row for row in csv.DictReader(io.StringIO(response.text))}
    assert rows["Service Desk L1"]["created"] == "3" and rows["Network"]["created"] == "1"
    only = clients["lena"].get("/api/v1/analytics/kpis", params={"queue": desk.network.id}).json()
    created = next(k for k in only["kpis"] if k["key"] == "tickets_created")
    assert created["value"] == 1


def test_conversation_kpis_in_json_and_csv(clients: Clients, session: Session, desk: Desk) -> None:
    for ending, score in ((Resolution.SELF_SERVICE, 5), (Resolution.WITHDRAWN, 2)):
        conversation = conversations.create(session, actor=Principal.of(desk.alice))
        conversations.say(session, conversation, Speaker(Author.REQUESTER, desk.alice.id), "Outlook will not sync")
        # Ended directly: this test is about what the API reports, not about the chat flow.
        conversation.state, conversation.resolution, conversation.csat_score = ConversationState.RESOLVED, ending, score
    session.commit()
    body = clients["lena"].get("/api/v1/analytics/kpis").json()
    kpis = {k["key"]: k for k in body["kpis"]}
    assert (kpis["deflection_rate"]["value"], kpis["deflection_rate"]["denominator"]) == (0.5, 2)
    assert kpis["csat_ai_handled"]["value"] == 3.5 and kpis["csat_human_handled"]["value"] is None
    assert "1 chat conversations deflected" in kpis["agent_minutes_saved"]["formula"]
    response = clients["lena"].get("/api/v1/analytics/kpis/conversation_csat.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["handled_by"], r["ended_as"], r["csat_average"]) for r in rows] == [
        ("assistant only", "self_service", "5.0"), ("assistant only", "withdrawn", "2.0")]
    reasons = clients["lena"].get("/api/v1/analytics/kpis/handoff_reasons.csv")
    assert reasons.text.splitlines()[0] == "reason,description,hand_offs,conversations,share"


def test_bad_filters_are_explained(clients: Clients) -> None:
    backwards = clients["lena"].get("/api/v1/analytics/kpis", params={"from": "2026-02-01", "to": "2026-01-01"})
    assert backwards.status_code == 422 and "swap the dates" in backwards.text
    assert clients["lena"].get("/api/v1/analytics/kpis", params={"channel": "fax"}).status_code == 422
    assert clients["lena"].get("/api/v1/analytics/kpis/nope.csv").status_code == 404
    assert clients["lena"].get("/api/v1/analytics/kpis", params={"queue": 999999}).status_code == 422
