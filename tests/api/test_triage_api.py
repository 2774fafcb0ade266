"""POST /api/v1/triage over real HTTP."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.api.conftest import Clients
from tests.factories import Desk

KEYS = {"decision_id", "model_version", "category", "queue", "priority", "confidence", "abstained", "sla",
        "escalation_path", "similar_tickets", "explanation", "major_incident", "pii_redacted"}


def test_triage_endpoint_answers_with_every_field(clients: Clients, desk: Desk, session: Session) -> None:
    response = clients["carol"].post("/api/v1/triage", json={"text": "The VPN is down for everyone in the office!"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) >= KEYS
    assert body["priority"] in {"P1", "P2"}
    assert body["abstained"] is True, "no model is trained on this desk yet"
    assert "deskpilot train triage" in " ".join(body["explanation"]["reasons"])


def test_requesters_cannot_call_triage(clients: Clients) -> None:
    assert clients["alice"].post("/api/v1/triage", json={"text": "x"}).status_code == 403
