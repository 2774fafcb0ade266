"""POST /api/v1/assist/answer and GET /api/v1/kb/gaps over real HTTP."""

from __future__ import annotations

from tests.api.conftest import Clients
from tests.kb.conftest import VPN_BODY

K = "/api/v1/kb"
PRINTER = ("**Applies to:** Ricoh printers with PaperCut.\n**Symptoms:** print jobs wait in NW-FollowMe.\n\n"
           "## Steps\n\n1. Open PaperCut and cancel the oldest job.\n2. Release the job again at the printer.\n")


def _publish(clients: Clients, slug: str, title: str, body: str) -> None:
    article = clients["carol"].post(f"{K}/articles", json={"slug": slug, "title": title, "body": body}).json()
    version = f"{K}/articles/{article['id']}/versions/1"
    clients["carol"].post(f"{version}/submit")
    assert clients["lena"].post(f"{version}/approve", json={}).status_code == 200


def test_answers_cite_approved_versions_and_abstentions_become_gaps(clients: Clients) -> None:
    _publish(clients, "vpn-connect", "Connect to VPN", VPN_BODY)
    _publish(clients, "printer-queue", "Print jobs stuck in the queue", PRINTER)
    answer = clients["alice"].post("/api/v1/assist/answer", json={"question": "My print job is stuck in the queue"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert not body["abstained"] and body["sentences"]
    assert all(s["citation"] == f"[{s['slug']} v{s['version']}]" and s["citation"] in body["text"]
               for s in body["sentences"])
    assert {s["slug"] for s in body["sentences"]} == {"printer-queue"}
    assert body["sources"] == [{"citation": "[printer-queue v1]", "slug": "printer-queue", "version": 1,
                                "title": "Print jobs stuck in the queue",
                                "url": "/api/v1/kb/articles/by-slug/printer-queue?version=1"}]
    assert clients["alice"].get(body["sources"][0]["url"]).json()["current"]["version"] == 1

    out_of_scope = clients["alice"].post("/api/v1/assist/answer", json={
        "question": "Which Italian restaurant near the office takes bookings for four tonight?"}).json()
    assert out_of_scope["abstained"] and out_of_scope["sentences"] == [] and out_of_scope["sources"] == []
    gaps = clients["lena"].get(f"{K}/gaps")
    assert gaps.status_code == 200
    assert [g["questions"][0]["question"] for g in gaps.json()] == [
        "Which Italian restaurant near the office takes bookings for four tonight?"]
    assert clients["alice"].get(f"{K}/gaps").status_code == 403
    assert clients["anonymous"].post("/api/v1/assist/answer", json={"question": "VPN?"}).status_code == 401
