"""Attachments on the ticket pages: the requester attaches a screenshot on the portal, the agent sees, views and
downloads it in the console and adds a staff-only file the requester never sees; a refused file says why."""

from __future__ import annotations

import httpx
from sqlalchemy.orm import Session

from tests.factories import Desk, open_ticket
from tests.web.conftest import PageClient, csrf_token

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _attach(client: PageClient, page: str, ticket_id: int, name: str, content: bytes,
            **fields: str) -> httpx.Response:
    token = csrf_token(client.get(page).text)
    return client.post(f"/tickets/{ticket_id}/files", data={"csrf_token": token, **fields},
                       files={"file": (name, content, "application/octet-stream")})


def test_requester_and_agent_share_files_and_staff_only_files_stay_with_staff(
        browser: PageClient, second_browser: PageClient, session: Session, desk: Desk) -> None:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    session.commit()
    browser.sign_in("alice")
    added = _attach(browser, f"/tickets/{ticket.id}", ticket.id, "vpn-error.png", PNG)
    assert added.status_code == 303 and added.headers["location"].startswith(f"/tickets/{ticket.id}#attachment-")

    second_browser.sign_in("carol")
    console = second_browser.get(f"/console/tickets/{ticket.id}")
    assert "vpn-error.png" in console.text and "image/png" in console.text
    link = f"/api/v1/tickets/{ticket.id}/attachments/"
    attachment_id = int(console.text.split(link, 1)[1].split('"', 1)[0].split("?", 1)[0])
    assert second_browser.get(f"{link}{attachment_id}?inline=true").content == PNG
    internal = _attach(second_browser, f"/console/tickets/{ticket.id}", ticket.id, "trace.log", b"stack",
                       internal="true", back="console")
    assert internal.headers["location"].startswith(f"/console/tickets/{ticket.id}#attachment-")

    portal = browser.get(f"/tickets/{ticket.id}")
    assert "vpn-error.png" in portal.text and "trace.log" not in portal.text


def test_a_refused_file_shows_the_reason_and_nothing_is_kept(browser: PageClient, session: Session,
                                                             desk: Desk) -> None:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    session.commit()
    browser.sign_in("alice")
    refused = _attach(browser, f"/tickets/{ticket.id}", ticket.id, "fix.exe", b"MZ" + b"\x00" * 10)
    assert refused.status_code == 422 and "not accepted" in refused.text and "<html" in refused.text.lower()
    assert "fix.exe" not in browser.get(f"/tickets/{ticket.id}").text
    forged = browser.post(f"/tickets/{ticket.id}/files", data={"csrf_token": "forged"},
                          files={"file": ("a.txt", b"a", "text/plain")})
    assert forged.status_code == 403
