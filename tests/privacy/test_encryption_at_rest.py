"""Encryption at rest: a ticket, a reply, a chat message and an e-mail with an attachment, each carrying a marker,
go in through the real server and the real e-mail intake; afterwards neither the database (its file on SQLite,
its rows as stored on both) nor any file in DATA_DIR holds a marker, while the API and the pages show every text,
the ticket search still finds it, and a key rotation keeps it all readable."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, Text, select, type_coerce
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.channels.email.smtp import receive
from deskpilot.cli import main
from deskpilot.config import Settings
from deskpilot.db import session_factory
from deskpilot.encryption_keys import SEALED_FILE_MAGIC
from deskpilot.runtime import AiRuntime
from deskpilot.schema import metadata
from deskpilot.sealed_storage import SealedText
from deskpilot.triage.engine import TriageEngine
from tests.conftest import TEST_ENCRYPTION_KEYS
from tests.factories import SYSTEM, Desk, make_desk
from tests.live_files import read_elsewhere
from tests.live_server import server_settings, serving
from tests.web.conftest import PageClient

MARKERS = {place: f"{place.upper()}-SEALED-MARKER-c41d" for place in
           ("subject", "description", "reply", "file", "chat", "mail", "mailfile")}


def _stored_rows(engine: Engine) -> dict[str, str]:
    """Every table's rows as the database holds them (sealed columns not opened): a logical dump."""
    with engine.connect() as connection:
        return {table.name: "\n".join(repr(row) for row in connection.execute(select(*(
            type_coerce(column, Text) if isinstance(column.type, SealedText) else column
            for column in table.columns)))) for table in metadata.sorted_tables}


def _stored_text(engine: Engine) -> str:
    return "\n".join(_stored_rows(engine).values())


def _database_files(url: str) -> list[Path]:
    """The SQLite database file and its write-ahead log (where recent rows live until a checkpoint)."""
    if not url.startswith("sqlite"):
        return []
    path = Path(url.split("///", 1)[-1])
    return [file for file in (path, Path(f"{path}-wal")) if file.exists()]


def _plain_copies(engine: Engine, url: str, data_dir: Path) -> dict[str, list[str]]:
    """Where each marker occurs in plain text: the stored rows (by table), the database files, DATA_DIR's files.
    The audit log keeps each ticket change's subject (documented), so a ticket subject is expected there only."""
    blobs = {f"rows of {table}": rows.encode() for table, rows in _stored_rows(engine).items()}
    for path in _database_files(url):
        blobs[str(path)] = read_elsewhere(path)
    for path in (p for p in data_dir.rglob("*") if p.is_file()):
        blobs[str(path)] = path.read_bytes()
    return {marker: [place for place, blob in blobs.items() if marker.encode() in blob]
            for marker in MARKERS.values()}


def _only_audited_subjects(copies: dict[str, list[str]], url: str) -> bool:
    audit = ["rows of audit_events", *(str(path) for path in _database_files(url))]
    return all(set(places) <= set(audit) if marker == MARKERS["subject"] else places == []
               for marker, places in copies.items())


def _mail() -> bytes:
    message = EmailMessage()
    message["From"] = "Alice <alice@example.com>"
    message["To"] = "servicedesk@desk.example"
    message["Subject"] = "VPN drops every hour"
    message["Message-ID"] = f"<{secrets.token_hex(6)}@example.com>"
    message.set_content(f"It happens since Monday. {MARKERS['mail']}")
    message.add_attachment(MARKERS["mailfile"].encode(), maintype="text", subtype="plain", filename="vpn.log")
    return message.as_bytes()


@pytest.fixture
def server(database_url: str, tmp_path: Path, ai_runtime: AiRuntime) -> Iterator[tuple[str, Settings]]:
    settings = server_settings(database_url, tmp_path / "var", mail_address="servicedesk@desk.example")
    with serving(settings, ai_runtime) as url:
        yield url, settings


def _client(url: str, session: Session, user_id: int) -> httpx.Client:
    _, secret = accounts.issue_token(session, actor=SYSTEM, user_id=user_id, name="test")
    session.commit()
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=30)


def _texts_shown(url: str, alice: httpx.Client, carol: httpx.Client, ids: dict[str, int]) -> None:
    ticket = carol.get(f"/api/v1/tickets/{ids['ticket']}").json()
    assert MARKERS["subject"] in ticket["subject"] and MARKERS["description"] in ticket["description"]
    bodies = [m["body"] for m in carol.get(f"/api/v1/tickets/{ids['ticket']}/messages").json()]
    assert any(MARKERS["reply"] in body for body in bodies)
    files = alice.get(f"/api/v1/tickets/{ids['ticket']}/attachments").json()
    assert alice.get(files[0]["url"]).content == MARKERS["file"].encode()
    transcript = alice.get(f"/api/v1/conversations/{ids['chat']}").json()
    assert any(MARKERS["chat"] in message["body"] for message in transcript["messages"])
    mail_ticket = carol.get(f"/api/v1/tickets/{ids['mail_ticket']}").json()
    assert MARKERS["mail"] in mail_ticket["description"]
    mail_files = carol.get(f"/api/v1/tickets/{ids['mail_ticket']}/attachments").json()
    assert carol.get(mail_files[0]["url"]).content == MARKERS["mailfile"].encode()
    found = carol.get("/api/v1/tickets", params={"q": f"update {MARKERS['description'].lower()}"}).json()
    assert [t["id"] for t in found["items"]] == [ids["ticket"]], "the search matches sealed descriptions"
    with PageClient(base_url=url, timeout=30) as page:
        page.sign_in("carol")
        shown = page.get(f"/console/tickets/{ids['ticket']}").text
    assert MARKERS["description"] in shown and MARKERS["reply"] in shown


def test_bodies_files_and_raw_mail_are_sealed_at_rest_and_read_back_after_a_key_rotation(
        server: tuple[str, Settings], session: Session, engine: Engine, database_url: str, ai_runtime: AiRuntime,
        monkeypatch: pytest.MonkeyPatch) -> None:
    url, settings = server
    desk: Desk = make_desk(session)
    session.commit()
    alice, carol = _client(url, session, desk.alice.id), _client(url, session, desk.carol.id)
    ticket = alice.post("/api/v1/tickets", json={"subject": f"Laptop fan {MARKERS['subject']}",
                                                 "description": f"Loud since the update {MARKERS['description']}"})
    assert ticket.status_code == 201, ticket.text
    ids = {"ticket": ticket.json()["id"]}
    reply = carol.post(f"/api/v1/tickets/{ids['ticket']}/messages", json={"body": f"Try this {MARKERS['reply']}"})
    assert reply.status_code == 201, reply.text
    assert alice.post(f"/api/v1/tickets/{ids['ticket']}/attachments",
                      files={"file": ("fan.txt", MARKERS["file"].encode(), "text/plain")}).status_code == 201
    ids["chat"] = alice.post("/api/v1/conversations", json={}).json()["id"]
    sent = alice.post(f"/api/v1/conversations/{ids['chat']}/messages", json={"body": f"Hi {MARKERS['chat']}"})
    assert sent.status_code == 201, sent.text
    triage = TriageEngine(settings, ai_runtime.embedder)
    filed = receive(session_factory(engine), settings=settings, triage=triage, raw=_mail())
    assert filed.ticket_id is not None
    ids["mail_ticket"] = filed.ticket_id

    copies = _plain_copies(engine, database_url, settings.data_dir)
    assert _only_audited_subjects(copies, database_url), copies
    raw_mails = list((settings.mail_dir / "raw").rglob("*.eml"))
    assert raw_mails and all(path.read_bytes().startswith(SEALED_FILE_MAGIC) for path in raw_mails)
    _texts_shown(url, alice, carol, ids)

    # A second key seals from now on; `privacy reseal` seals everything again with it, the old key is retired.
    new_key = base64.b64encode(secrets.token_bytes(32)).decode()
    monkeypatch.setenv("DESKPILOT_ENCRYPTION_KEYS", json.dumps({**TEST_ENCRYPTION_KEYS, "k2": new_key}))
    monkeypatch.setenv("DESKPILOT_DATABASE_URL", database_url)
    monkeypatch.setenv("DESKPILOT_DATA_DIR", str(settings.data_dir))
    assert main(["privacy", "reseal"]) == 0
    stored = _stored_text(engine)
    assert "enc:v1:k2:" in stored and "enc:v1:test:" not in stored
    assert all(path.read_bytes().startswith(SEALED_FILE_MAGIC + b"k2\n") for path in raw_mails)
    monkeypatch.setenv("DESKPILOT_ENCRYPTION_KEYS", json.dumps({"k2": new_key}))
    assert main(["privacy", "reseal"]) == 0  # with the old key gone: nothing left needs it
    copies = _plain_copies(engine, database_url, settings.data_dir)
    assert _only_audited_subjects(copies, database_url), copies
    _texts_shown(url, alice, carol, ids)
