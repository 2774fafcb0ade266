"""/api/v1/runbooks over real HTTP (uvicorn) on each database, against the test slapd."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.api.app import create_app
from deskpilot.config import Settings
from deskpilot.runbooks.identity import LdapDirectory
from tests.factories import SYSTEM, Desk, open_ticket
from tests.live_server import _free_port
from tests.runbooks.directory import LdapServer


@pytest.fixture
def api(settings: Settings, approved: Desk, session: Session) -> Iterator[dict[str, httpx.Client]]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    clients = {}
    for name in ("alice", "carol", "lena", "adam"):
        _, secret = accounts.issue_token(session, actor=SYSTEM, user_id=getattr(approved, name).id, name="t")
        clients[name] = httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=30,
                                     headers={"Authorization": f"Bearer {secret}"})
    session.commit()
    yield clients
    for client in clients.values():
        client.close()
    server.should_exit = True
    thread.join(timeout=10)


def test_dry_run_run_and_rollback_over_http(api: dict[str, httpx.Client], session: Session, approved: Desk,
                                            directory: LdapDirectory, ldap: LdapServer) -> None:
    ticket = open_ticket(session, approved, approved.bob)
    session.commit()
    listed = api["carol"].get("/runbooks")
    assert listed.status_code == 200 and {r["name"] for r in listed.json()} >= {"password-reset", "group-add"}
    body = {"parameters": {"username": "bob", "group": "vpn-users"}, "ticket_id": ticket.id}
    assert api["alice"].post("/runbooks/group-add/dry-run", json=body).status_code == 403
    plan = api["carol"].post("/runbooks/group-add/dry-run", json=body)
    assert plan.status_code == 201 and plan.json()["plan"][0]["changes"] is True
    assert api["carol"].post("/runbooks/group-add/run", json=body).status_code == 422
    run = api["carol"].post("/runbooks/group-add/run", json=body | {"dry_run_id": plan.json()["id"],
                                                           "idempotency_key": f"dp-{ticket.id}-vpn"})
    assert run.status_code == 201 and run.json()["status"] == "succeeded"
    assert [s["status"] for s in run.json()["steps"]] == ["succeeded", "succeeded"]
    assert directory.find_group("vpn-users").has_member(ldap.dn("bob"))
    run_id = run.json()["id"]
    assert api["carol"].post(f"/runbooks/runs/{run_id}/rollback").status_code == 403
    back = api["lena"].post(f"/runbooks/runs/{run_id}/rollback")
    assert back.status_code == 200 and back.json()["status"] == "rolled_back"
    assert not directory.find_group("vpn-users").has_member(ldap.dn("bob"))
    assert api["carol"].get(f"/runbooks/runs/{run_id}").json()["rolled_back_at"] is not None


def test_edit_and_approve_over_http(api: dict[str, httpx.Client]) -> None:
    current = api["adam"].get("/runbooks/group-add").json()
    source = current["versions"][-1]["source"].replace("Add a user to a directory group", "Grant a group")
    assert api["carol"].post("/runbooks/group-add/versions", json={"source": source}).status_code == 403
    edited = api["adam"].post("/runbooks/group-add/versions", json={"source": source})
    assert edited.status_code == 201
    draft = edited.json()["versions"][-1]
    assert (draft["version"], draft["status"], edited.json()["current_version"]) == (2, "draft", 1)
    assert api["adam"].post("/runbooks/group-add/versions/2/approve",
                            json={"content_hash": draft["content_hash"]}).status_code == 403
    approved = api["lena"].post("/runbooks/group-add/versions/2/approve", json={"content_hash": draft["content_hash"]})
    assert approved.status_code == 200 and approved.json()["current_version"] == 2
    injected = {"parameters": {"username": "*)(uid=*", "group": "x"}}
    assert api["carol"].post("/runbooks/group-add/dry-run", json=injected).status_code == 422
