"""PUT /api/v1/queues/{id}/escalation-path and GET .../escalations over real HTTP."""

from __future__ import annotations

from tests.api.conftest import Clients
from tests.factories import Desk


def test_an_admin_replaces_a_path_and_others_are_refused(clients: Clients, desk: Desk) -> None:
    path = f"/api/v1/queues/{desk.network.id}/escalation-path"
    team = desk.carol.teams[0].id
    body = {"levels": [{"level": 1, "trigger": "near_breach", "notify_role": "lead"},
                       {"level": 2, "trigger": "breach", "after_minutes": 45, "notify_team_id": team}]}
    answer = clients["adam"].put(path, json=body)
    assert answer.status_code == 200, answer.text
    assert [(lvl["level"], lvl["trigger"], lvl["after_minutes"]) for lvl in answer.json()["escalation_levels"]] == [
        (1, "near_breach", 0), (2, "breach", 45)]
    listed = {q["id"]: q for q in clients["carol"].get("/api/v1/queues").json()}
    assert len(listed[desk.network.id]["escalation_levels"]) == 2
    assert clients["lena"].put(path, json={"levels": []}).status_code == 200
    for who, status in (("carol", 403), ("audrey", 403), ("alice", 403), ("anonymous", 401)):
        assert clients[who].put(path, json=body).status_code == status, who
    assert clients["carol"].get(f"/api/v1/queues/{desk.network.id}/escalations").json() == []


def test_an_invalid_path_is_422_with_a_reason(clients: Clients, desk: Desk) -> None:
    path = f"/api/v1/queues/{desk.network.id}/escalation-path"
    nobody = clients["adam"].put(path, json={"levels": [{"level": 1, "trigger": "breach"}]})
    assert nobody.status_code == 422 and "notifies nobody" in nobody.json()["message"]
    backwards = clients["adam"].put(path, json={"levels": [
        {"level": 1, "trigger": "breach", "after_minutes": 60, "notify_role": "lead"},
        {"level": 2, "trigger": "breach", "after_minutes": 5, "notify_role": "admin"}]})
    assert backwards.status_code == 422 and "Level 2 would fire before level 1" in backwards.json()["message"]
    assert clients["adam"].put("/api/v1/queues/999999/escalation-path", json={"levels": []}).status_code == 404
