"""The chat over HTTP against the real server: the API contract, idempotent retries, access (another's is 404),
bad input with clear errors, and user text never rendered unescaped."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.api.conftest import Clients, clients  # noqa: F401 - fixture of the tests in this file
from tests.conversations.conftest import load_chat_kb
from tests.factories import Desk
from tests.live_server import live_server  # noqa: F401 - fixture of the tests in this file
from tests.web.conftest import PageClient, browser, csrf_token  # noqa: F401 - fixture of the tests in this file

VPN = "My VPN keeps disconnecting"


def test_the_api_answers_with_sources_stores_a_retry_once_and_hides_others_conversations(
        clients: Clients, session: Session, desk: Desk, sla_24x7: None) -> None:  # noqa: F811
    del desk, sla_24x7
    load_chat_kb(session)
    session.commit()
    alice = clients["alice"]
    created = alice.post("/api/v1/conversations", json={"message": VPN})
    assert created.status_code == 201 and "app;dur=" in created.headers["server-timing"]
    conversation = created.json()
    assert conversation["messages"][0]["author_kind"] == "system"
    machine = [m for m in conversation["messages"] if m["author_kind"] == "assistant"]
    assert machine and all(m["ai_assisted"] for m in machine) and machine[-1]["citations"]
    path = f"/api/v1/conversations/{conversation['id']}"
    first = alice.post(f"{path}/messages", json={"body": "talk to a human"}, headers={"Idempotency-Key": "abc"})
    again = alice.post(f"{path}/messages", json={"body": "talk to a human"}, headers={"Idempotency-Key": "abc"})
    assert (first.status_code, again.status_code) == (201, 200) and again.json()["replayed"]
    assert first.json()["conversation"]["state"] == "waiting_for_human"
    transcript = alice.get(path).json()["messages"]
    assert [m["body"] for m in transcript].count("talk to a human") == 1

    assert clients["bob"].get(path).status_code == 404
    assert clients["bob"].post(f"{path}/messages", json={"body": "hi"}).status_code == 404
    assert clients["dave"].post(f"{path}/join").status_code == 404
    assert alice.get("/api/v1/conversations/999999").status_code == 404
    too_long = alice.post(f"{path}/messages", json={"body": "x" * 100_000})
    assert too_long.status_code == 422 and "at most 8000 characters" in too_long.json()["message"]
    assert alice.post(f"{path}/messages", json={"body": ""}).status_code == 422

    joined = clients["carol"].post(f"{path}/join")
    assert joined.status_code == 200 and joined.json()["state"] == "with_human"
    assert clients["carol"].post(f"{path}/close").json()["state"] == "resolved"
    assert alice.post(f"{path}/csat", json={"score": 6}).status_code == 422
    rated = alice.post(f"{path}/csat", json={"score": 5, "comment": "kind"})
    assert rated.status_code == 200 and rated.json()["csat_score"] == 5


def test_the_chat_page_escapes_html_refuses_bad_input_and_hides_others_conversations(
        browser: PageClient, session: Session, desk: Desk, sla_24x7: None) -> None:  # noqa: F811
    del desk, sla_24x7
    load_chat_kb(session)
    session.commit()
    browser.sign_in("alice")
    start = browser.get("/chat")
    token = csrf_token(start.text)
    assert browser.post("/chat", data={"csrf_token": token, "message": "  "}).status_code == 422
    created = browser.post("/chat", data={"csrf_token": token, "message": "<script>alert(1)</script> printer"})
    assert created.status_code == 303
    page = browser.get(created.headers["location"].split("#")[0])
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    path = created.headers["location"].split("#")[0]
    huge = browser.post(f"{path}/messages", data={"csrf_token": token, "body": "y" * 100_000})
    assert huge.status_code == 422 and "too long" in huge.text
    forged = browser.post(f"{path}/messages", data={"csrf_token": "forged", "body": "hi"})
    assert forged.status_code == 403
    suggestions = browser.get("/tickets/new/suggestions", params={"subject": "VPN keeps disconnecting"})
    assert suggestions.status_code == 200 and "Connect to the company VPN on Windows" in suggestions.text

    browser.post("/sign-out", data={"csrf_token": token})
    browser.sign_in("bob")
    assert browser.get(path).status_code == 404
    assert browser.get("/chat/999999").status_code == 404
