"""A real Dovecot IMAP server and an SMTP sink on loopback, and mail settings pointing at them.

Dovecot is installed from Debian when missing (the tests run as root in CI) and started with a
throw-away configuration: one passwd-file user, maildirs in a temporary directory, plaintext login on
127.0.0.1 only. Each test gets its own IMAP folder, so UIDs and UIDVALIDITY start fresh.
"""

from __future__ import annotations

import hashlib
import imaplib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from deskpilot.accounts.principal import Principal
from deskpilot.channels.email.models import InboundMail
from deskpilot.config import Environment, MailboxSettings, Settings
from deskpilot.db import session_factory
from deskpilot.ml.embeddings import load_embedder
from deskpilot.tickets import attachments as ticket_files
from deskpilot.triage.engine import TriageEngine

CORPUS = Path(__file__).parent / "corpus"
IMAP_USER, IMAP_PASSWORD = "desk", "desk-secret"
_MAIL_UID = 65534  # nobody: Dovecot refuses mail access as root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _dovecot_binary() -> str:
    found = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
    if found:
        return found
    if os.geteuid() != 0:
        pytest.skip("dovecot is not installed and installing it needs root")
    subprocess.run(["apt-get", "update"], check=True, capture_output=True, timeout=600)
    subprocess.run(["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "dovecot-imapd"], check=True,
                   capture_output=True, timeout=900, env=os.environ | {"DEBIAN_FRONTEND": "noninteractive"})
    return "/usr/sbin/dovecot"


_CONFIG = """
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={uid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@dataclass
class Dovecot:
    host: str
    port: int

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=30)
        client.login(IMAP_USER, IMAP_PASSWORD)
        return client

    def new_folder(self) -> str:
        name = f"test-{secrets.token_hex(4)}"
        client = self.client()
        assert client.create(name)[0] == "OK"
        client.logout()
        return name

    def append(self, folder: str, *raws: bytes) -> None:
        """Deliver mails the way a mail server would: APPEND over IMAP."""
        client = self.client()
        for raw in raws:
            status, data = client.append(folder, None, None, raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
            assert status == "OK", data
        client.logout()


@contextmanager
def running_dovecot(extra_config: str = "", files: dict[str, str] | None = None) -> Iterator[Dovecot]:
    """A Dovecot on a free loopback port with a throw-away configuration (plus `extra_config` and `files`
    written beside it, `{root}` replaced by its directory)."""
    binary = _dovecot_binary()
    # Not under pytest's tmp dir: that is private to root, and Dovecot's mail processes run as nobody.
    root = Path(tempfile.mkdtemp(prefix="deskpilot-dovecot-"))
    root.chmod(0o755)
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir()
    os.chown(root / "mail", _MAIL_UID, _MAIL_UID)
    (root / "passwd").write_text(f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}::::\n")
    for name, text in (files or {}).items():
        (root / name).write_text(text.replace("{root}", str(root)))
    port = free_port()
    config = root / "dovecot.conf"
    config.write_text(_CONFIG.format(root=root, port=port, uid=_MAIL_UID) + extra_config.replace("{root}", str(root)))
    process = subprocess.Popen([binary, "-F", "-c", str(config)])
    server = Dovecot("127.0.0.1", port)
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection((server.host, port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                process.kill()
                raise RuntimeError(f"Dovecot did not start on port {port}:\n{log}") from None
            time.sleep(0.2)
    try:
        yield server
    finally:
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    with running_dovecot() as server:
        server.client().logout()
        yield server


@dataclass
class SmtpSink:
    """An SMTP server that keeps what it receives; `refuse` makes it answer 451 to every mail."""

    host: str
    port: int
    received: list[EmailMessage] = field(default_factory=list)
    refuse: bool = False

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        if self.refuse:
            return "451 4.3.0 try again later"
        self.received.append(message_from_bytes(envelope.original_content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink("127.0.0.1", free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture
def mail_settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for the e-mail channel on the test database, with no mailbox configured yet."""
    return Settings(database_url=database_url, environment=Environment.TEST, data_dir=tmp_path / "var",
                    mail_address="servicedesk@desk.example", mail_send_backoff_seconds=60,
                    mail_send_max_attempts=3, mail_max_attachment_bytes=1024 * 1024)


@pytest.fixture
def mail_triage(mail_settings: Settings) -> TriageEngine:
    """The triage engine of the mail settings' data directory (no model trained there: triage abstains), on the
    process's one embedder."""
    return TriageEngine(mail_settings, load_embedder(mail_settings.embedding_model))


@pytest.fixture
def imap_settings(mail_settings: Settings, dovecot: Dovecot) -> Settings:
    """Mail settings reading a fresh folder on the test Dovecot."""
    mailbox = MailboxSettings(name="support", host=dovecot.host, port=dovecot.port, username=IMAP_USER,
                              password=IMAP_PASSWORD, folder=dovecot.new_folder(), ssl=False)
    return mail_settings.model_copy(update={"mail_mailboxes": [mailbox]})


@pytest.fixture
def factory(session: Session, engine: Engine) -> sessionmaker[Session]:
    """Sessions on the emptied test database, for code that commits once per mail."""
    session.close()
    return session_factory(engine)


def mail(*, sender: str = "jane@acme.example", subject: str = "Printer on floor 3 is jammed",
         body: str = "The printer says paper jam but there is no paper stuck.", message_id: str | None = None,
         in_reply_to: str | None = None, references: str | None = None, extra: str = "") -> bytes:
    """A plain mail as a client would send it."""
    headers = [f"From: Jane Doe <{sender}>", "To: servicedesk@desk.example", f"Subject: {subject}",
               "Date: Mon, 23 Nov 2026 09:00:00 +0100",
               f"Message-ID: <{message_id or secrets.token_hex(8) + '@acme.example'}>"]
    if in_reply_to:
        headers.append(f"In-Reply-To: <{in_reply_to}>")
    if references:
        headers.append(f"References: {references}")
    headers += [line for line in extra.splitlines() if line]
    headers += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    return ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n").encode("utf-8")


def assert_attachments_on_their_tickets(session: Session, mails: Sequence[InboundMail], data_dir: Path) -> None:
    """Every stored attachment of a filed mail is on its ticket and downloads byte for byte."""
    stored = [(m, part) for m in mails if m.ticket_id for part in m.attachments if part["stored"]]
    assert stored, "the corpus has filed mails with attachments"
    for filed, part in stored:
        assert filed.ticket_id is not None
        [on_ticket] = [a for a in ticket_files.visible(session, actor=Principal.system(), ticket_id=filed.ticket_id)
                       if a.sha256 == part["sha256"] and a.message_id == filed.ticket_message_id]
        download = ticket_files.download(session, actor=Principal.system(), data_dir=data_dir,
                                         ticket_id=filed.ticket_id, attachment_id=on_ticket.id)
        content = download.content
        assert len(content) == part["size"] and hashlib.sha256(content).hexdigest() == part["sha256"]
