"""Files sent in a chat: a screenshot sent before any ticket exists goes onto the ticket the chat opens, and the
agent sees it; only the requester sends files in their chat; refused files keep nothing."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.api.conftest import Clients
from tests.factories import Desk

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def test_a_screenshot_sent_in_the_chat_lands_on_the_ticket_for_the_agent(
        clients: Clients, session: Session, desk: Desk) -> None:
    del session, desk
    conversation = clients["alice"].post("/api/v1/conversations", json={}).json()
    url = f"/api/v1/conversations/{conversation['id']}/attachments"
    sent = clients["alice"].post(url, files={"file": ("error.png", PNG, "image/png")})
    assert sent.status_code == 201, sent.text
    assert sent.json()["ticket_id"] is None and sent.json()["url"].startswith(url)
    transcript = clients["alice"].get(f"/api/v1/conversations/{conversation['id']}").json()
    assert transcript["messages"][-1]["body"].endswith("error.png")
    assert clients["bob"].post(url, files={"file": ("x.png", PNG, "image/png")}).status_code == 404
    assert clients["alice"].post(url, files={"file": ("x.js", b"alert(1)", "text/javascript")}).status_code == 422

    handed = clients["alice"].post(f"/api/v1/conversations/{conversation['id']}/handoff").json()
    ticket_id = handed["ticket_id"]
    files = clients["carol"].get(f"/api/v1/tickets/{ticket_id}/attachments").json()
    assert [(f["filename"], f["channel"], f["conversation_id"]) for f in files] == [
        ("error.png", "chat", conversation["id"])]
    assert clients["carol"].get(files[0]["url"], params={"inline": "true"}).content == PNG
    after = clients["alice"].post(url, files={"file": ("second.txt", b"log line", "text/plain")}).json()
    assert after["ticket_id"] == ticket_id, "a file sent after the hand-off goes straight onto the ticket"
