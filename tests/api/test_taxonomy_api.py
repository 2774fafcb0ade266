"""The desk's taxonomy over real HTTP: admins edit categories, every edit is a numbered version."""

from __future__ import annotations

from tests.api.conftest import Clients
from tests.factories import Desk

CATEGORIES = "/api/v1/triage/categories"


def test_admin_edits_the_taxonomy_and_every_edit_is_a_version(clients: Clients, desk: Desk) -> None:
    created = clients["adam"].post(CATEGORIES, json={
        "name": "Network & VPN", "description": "Remote access and office networks.",
        "examples": ["The VPN will not connect", "  No Wi-Fi   in the office ", ""],
        "default_queue_id": desk.network.id})
    assert created.status_code == 201, created.text
    category = created.json()
    assert category["examples"] == ["The VPN will not connect", "No Wi-Fi in the office"]
    changed = clients["adam"].patch(f"{CATEGORIES}/{category['id']}", json={
        "examples": [*category["examples"], "GlobalProtect says gateway not reachable"]})
    assert changed.status_code == 200, changed.text
    assert len(changed.json()["examples"]) == 3
    listed = clients["carol"].get(CATEGORIES).json()
    assert [c["name"] for c in listed] == ["Network & VPN"] and len(listed[0]["examples"]) == 3
    versions = clients["carol"].get("/api/v1/triage/taxonomy/versions").json()
    assert [v["number"] for v in versions] == [2, 1]
    assert versions[0]["created_by_name"] == "adam" and "examples" in versions[0]["change"]
    assert versions[1]["categories"][0]["examples"] == ["The VPN will not connect", "No Wi-Fi in the office"]


def test_only_admins_edit_and_bad_input_is_refused_with_a_reason(clients: Clients, desk: Desk) -> None:
    created = clients["adam"].post(CATEGORIES, json={"name": "Printing"}).json()
    assert clients["carol"].patch(f"{CATEGORIES}/{created['id']}", json={"description": "x"}).status_code == 403
    assert clients["alice"].get(CATEGORIES).status_code == 403
    duplicate = clients["adam"].post(CATEGORIES, json={"name": "Printing"})
    assert duplicate.status_code == 409 and "exists already" in duplicate.text
    bad_queue = clients["adam"].patch(f"{CATEGORIES}/{created['id']}", json={"default_queue_id": 99999})
    assert bad_queue.status_code in (400, 422) and "No queue with id 99999" in bad_queue.text
    assert clients["adam"].patch(f"{CATEGORIES}/99999", json={"active": False}).status_code == 404
    versions = clients["adam"].get("/api/v1/triage/taxonomy/versions").json()
    assert [v["change"] for v in versions] == ["added Printing"]


def test_admin_sets_a_services_criticality_and_a_bad_one_is_refused(clients: Clients, desk: Desk) -> None:
    created = clients["adam"].post(CATEGORIES, json={"name": "Business applications", "criticality": "high"})
    assert created.status_code == 201 and created.json()["criticality"] == "high"
    assert clients["adam"].post(CATEGORIES, json={"name": "Printing"}).json()["criticality"] == "standard"
    category_id = created.json()["id"]
    changed = clients["adam"].patch(f"{CATEGORIES}/{category_id}", json={"criticality": "critical"})
    assert changed.status_code == 200 and changed.json()["criticality"] == "critical"
    bad = clients["adam"].patch(f"{CATEGORIES}/{category_id}", json={"criticality": "very"})
    assert bad.status_code == 422 and "criticality" in bad.text
    assert clients["carol"].patch(f"{CATEGORIES}/{category_id}", json={"criticality": "standard"}).status_code == 403
    latest = clients["adam"].get("/api/v1/triage/taxonomy/versions").json()[0]
    assert latest["change"] == "changed Business applications: criticality"
    assert {c["name"]: c["criticality"] for c in latest["categories"]}["Business applications"] == "critical"
