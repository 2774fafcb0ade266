"""Files on tickets over HTTP: uploaded within limits, listed per role, downloaded with headers that keep the
browser safe (the bytes decide the type; nothing active is ever served inline)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from deskpilot.tickets.file_types import sniff
from tests.api.conftest import Clients
from tests.factories import Desk, open_ticket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_requester_attaches_a_screenshot_and_the_agent_sees_and_downloads_it(
        clients: Clients, session: Session, desk: Desk) -> None:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    session.commit()
    added = clients["alice"].post(f"/api/v1/tickets/{ticket.id}/attachments",
                                  files={"file": ("../../screen shot\u00e4.png", PNG, "image/png")})
    assert added.status_code == 201, added.text
    body = added.json()
    assert body["filename"] == "screen shot\u00e4.png", "no path survives in the stored name"
    assert body["sniffed_type"] == "image/png" and body["size"] == len(PNG) and not body["internal"]
    listed = clients["carol"].get(f"/api/v1/tickets/{ticket.id}/attachments")
    assert [a["id"] for a in listed.json()] == [body["id"]]
    download = clients["carol"].get(body["url"])
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert download.headers["content-disposition"].startswith("attachment;"), "a download unless asked inline"
    assert "filename*=UTF-8''screen%20shot%C3%A4.png" in download.headers["content-disposition"]
    assert download.headers["x-content-type-options"] == "nosniff"
    shown = clients["carol"].get(body["url"], params={"inline": "true"})
    assert shown.headers["content-type"] == "image/png" and shown.headers["content-disposition"].startswith("inline")


def test_html_dressed_as_an_image_is_never_served_inline(clients: Clients, session: Session, desk: Desk) -> None:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    session.commit()
    script = b"<html><script>alert(document.cookie)</script></html>"
    added = clients["alice"].post(f"/api/v1/tickets/{ticket.id}/attachments",
                                  files={"file": ("cat.png", script, "image/png")}).json()
    assert added["sniffed_type"] == "text/html"
    served = clients["carol"].get(added["url"], params={"inline": "true"})
    assert served.headers["content-type"] == "application/octet-stream"
    assert served.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in served.headers["content-security-policy"]


def test_programs_empty_and_oversized_files_are_refused_with_a_reason(
        clients: Clients, session: Session, desk: Desk) -> None:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    session.commit()
    url = f"/api/v1/tickets/{ticket.id}/attachments"
    exe = b"MZ\x90\x00" + b"\x00" * 60
    program = clients["alice"].post(url, files={"file": ("invoice.pdf", exe, "application/pdf")})
    assert program.status_code == 422 and "program" in program.json()["message"]
    script = clients["alice"].post(url, files={"file": ("setup.ps1", b"Write-Host hi", "text/plain")})
    assert script.status_code == 422 and ".ps1" in script.json()["message"]
    empty = clients["alice"].post(url, files={"file": ("empty.txt", b"", "text/plain")})
    assert empty.status_code == 422 and "empty" in empty.json()["message"]
    huge = clients["alice"].post(url, files={"file": ("big.bin", b"\x00" * (12 * 1024 * 1024), "text/plain")})
    assert huge.status_code == 413 and "DESKPILOT_ATTACHMENT_MAX_BYTES" in huge.json()["message"]
    assert clients["carol"].get(url).json() == [], "nothing refused was kept"


def test_requesters_see_only_their_own_tickets_files_and_never_internal_ones(
        clients: Clients, session: Session, desk: Desk) -> None:
    ticket = open_ticket(session, desk, desk.alice, queue=desk.service_desk)
    session.commit()
    url = f"/api/v1/tickets/{ticket.id}/attachments"
    internal = clients["carol"].post(url, files={"file": ("trace.txt", b"stack trace", "text/plain")},
                                     data={"internal": "true"})
    assert internal.status_code == 201 and internal.json()["internal"] is True
    assert clients["alice"].post(url, files={"file": ("x.txt", b"x", "text/plain")},
                                 data={"internal": "true"}).status_code == 403
    assert clients["alice"].get(url).json() == []
    assert clients["alice"].get(internal.json()["url"]).status_code == 404
    assert clients["bob"].get(url).status_code == 404, "another requester's ticket does not exist for bob"
    assert clients["audrey"].get(url).json()[0]["filename"] == "trace.txt", "the auditor reads everything"
    assert clients["audrey"].post(url, files={"file": ("a.txt", b"a", "text/plain")}).status_code == 403
    assert clients["anonymous"].get(url).status_code == 401


def test_sniffing_reads_the_bytes_not_the_name() -> None:
    assert sniff(PNG) == "image/png"
    assert sniff(b"%PDF-1.7\n") == "application/pdf"
    assert sniff(b"<svg xmlns='http://www.w3.org/2000/svg'/>") == "text/html"
    assert sniff("Grüße aus Berlin".encode()) == "text/plain"
    assert sniff(b"\x00\x01\x02binary") == "application/octet-stream"
