"""The /api/v1/kb routes over real HTTP: who may do what, and the workflow end to end."""

from __future__ import annotations

import csv
import io
import zipfile

from tests.api.conftest import Clients
from tests.kb.conftest import VPN_BODY

K = "/api/v1/kb"
ARTICLE = {"slug": "vpn-connect", "title": "Connect to VPN", "body": VPN_BODY, "tags": ["vpn"]}


def _create(clients: Clients, who: str = "carol") -> int:
    response = clients[who].post(f"{K}/articles", json=ARTICLE)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_who_may_create_articles(clients: Clients) -> None:
    codes = {who: clients[who].post(f"{K}/articles", json=ARTICLE).status_code
             for who in ("alice", "audrey", "anonymous", "carol", "lena")}
    assert codes == {"alice": 403, "audrey": 403, "anonymous": 401, "carol": 201, "lena": 409}


def test_review_workflow_over_http(clients: Clients) -> None:
    article = _create(clients)
    v1 = f"{K}/articles/{article}/versions/1"
    assert clients["alice"].get(f"{K}/articles/{article}").status_code == 404  # unpublished: invisible
    assert clients["audrey"].get(v1).json()["status"] == "draft"
    assert clients["carol"].post(f"{v1}/submit").json()["status"] == "in_review"
    response = clients["dave"].post(f"{v1}/approve", json={})
    assert response.status_code == 403 and response.json()["error"] == "permission_denied"
    assert clients["audrey"].post(f"{v1}/approve", json={}).status_code == 403
    rejected = clients["lena"].post(f"{v1}/reject", json={"reason": "Mention the error codes article"})
    assert rejected.json()["status"] == "draft" and rejected.json()["review_note"].startswith("Mention")
    patched = clients["carol"].patch(v1, json={"body": VPN_BODY + "\nSee *GlobalProtect VPN error messages*.\n"})
    assert patched.status_code == 200, patched.text
    clients["carol"].post(f"{v1}/submit")
    approved = clients["lena"].post(f"{v1}/approve", json={"note": "Thanks"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"

    read = clients["alice"].get(f"{K}/articles/by-slug/vpn-connect", params={"version": 1}).json()
    assert read["status"] == "published" and read["current"]["version"] == 1
    v2 = clients["carol"].post(f"{K}/articles/{article}/versions", json={"body": "Short rewrite.",
                                                                         "change_note": "shorter"})
    assert v2.status_code == 201 and v2.json()["version"] == 2
    assert clients["alice"].get(f"{K}/articles/{article}/versions/2").status_code == 404
    assert clients["alice"].get(f"{K}/articles/{article}").json()["current"]["version"] == 1
    diff = clients["carol"].get(f"{K}/articles/{article}/diff", params={"from_version": 1, "to_version": 2})
    assert diff.status_code == 200 and "+Short rewrite." in diff.json()["diff"]
    assert clients["alice"].get(f"{K}/articles/{article}/diff",
                                params={"from_version": 1, "to_version": 2}).status_code == 403
    versions = clients["audrey"].get(f"{K}/articles/{article}/versions").json()
    assert [(v["version"], v["status"]) for v in versions] == [(1, "approved"), (2, "draft")]

    assert clients["carol"].post(f"{K}/articles/{article}/retire", json={"reason": "old"}).status_code == 403
    retired = clients["lena"].post(f"{K}/articles/{article}/retire", json={"reason": "VPN replaced"})
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    assert clients["alice"].get(f"{K}/articles").json()["total"] == 0


def test_list_search_and_bad_input(clients: Clients) -> None:
    _create(clients)
    page = clients["carol"].get(f"{K}/articles", params={"q": "okta", "limit": 10}).json()
    assert page["total"] == 1 and page["items"][0]["current"]["version"] == 1
    bad = clients["carol"].post(f"{K}/articles", json={**ARTICLE, "slug": "Not A Slug"})
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_input"
    assert clients["carol"].post(f"{K}/articles", json=ARTICLE).status_code == 409
    assert clients["carol"].get(f"{K}/articles/999999").status_code == 404


def test_import_and_export_over_http(clients: Clients) -> None:
    files = [{"filename": "kb.csv", "content": 'doc_id,title,text\nwifi-guest,Guest Wi-Fi,"Ask reception."\n'},
             {"filename": "bad.md", "content": "---\nslug: [oops\n---\nx"}]
    failed = clients["adam"].post(f"{K}/import", json={"files": files, "approve": True})
    assert failed.status_code == 422 and "bad.md" in failed.json()["message"]
    assert clients["adam"].get(f"{K}/articles").json()["total"] == 0
    assert clients["carol"].post(f"{K}/import", json={"files": files[:1], "approve": True}).status_code == 403
    done = clients["adam"].post(f"{K}/import", json={"files": files[:1], "approve": True})
    assert done.status_code == 200 and done.json()["created"] == ["wifi-guest"]

    exported = clients["audrey"].get(f"{K}/export", params={"format": "csv"})
    assert exported.headers["content-type"].startswith("text/csv")
    assert list(csv.DictReader(io.StringIO(exported.text))) == [
        {"doc_id": "wifi-guest", "title": "Guest Wi-Fi", "text": "Ask reception."}]
    archive = zipfile.ZipFile(io.BytesIO(clients["lena"].get(f"{K}/export", params={"format": "markdown"}).content))
    assert archive.namelist() == ["wifi-guest.md"]
    assert clients["alice"].get(f"{K}/export").status_code == 403


def test_draft_from_ticket_over_http(clients: Clients) -> None:
    ticket = clients["alice"].post("/api/v1/tickets", json={"subject": "Printer jams on tray 2",
                                                            "description": "Paper jams every print."}).json()
    t = f"/api/v1/tickets/{ticket['id']}"
    clients["lena"].post(f"{t}/messages", json={"body": "Open tray 2 and remove the torn sheet."})
    assert clients["lena"].post(f"{K}/articles/from-ticket/{ticket['id']}").status_code == 422  # not resolved
    clients["lena"].post(f"{t}/resolve")
    assert clients["alice"].post(f"{K}/articles/from-ticket/{ticket['id']}").status_code == 403
    drafted = clients["lena"].post(f"{K}/articles/from-ticket/{ticket['id']}")
    assert drafted.status_code == 201, drafted.text
    assert drafted.json()["current"]["status"] == "in_review"
    assert drafted.json()["current"]["source_ticket_id"] == ticket["id"]


def test_draft_from_a_ticket_with_a_long_category_and_description_is_created_not_a_server_error(
        clients: Clients) -> None:
    category = "Hardware and peripherals / Printers, scanners and multi-function devices in the Berlin office"
    ticket = clients["alice"].post("/api/v1/tickets", json={
        "subject": "Printer jams on tray 2",
        "description": "Paper jams every print. " * 3000 + "x" * 4000}).json()
    t = f"/api/v1/tickets/{ticket['id']}"
    assert clients["lena"].patch(t, json={"category": category}).status_code == 200
    clients["lena"].post(f"{t}/messages", json={"body": "Open tray 2 and remove the torn sheet. " + "y" * 90_000})
    clients["lena"].post(f"{t}/resolve")
    drafted = clients["lena"].post(f"{K}/articles/from-ticket/{ticket['id']}")
    assert drafted.status_code == 201, drafted.text
    tags = drafted.json()["tags"]
    assert len(tags) == 1 and len(tags[0]) <= 60 and tags[0].startswith("hardware-and-peripherals")
