"""Reading shared inboxes over IMAP (stdlib imaplib): fetch what is new, take each mail in its own commit.

The poller never marks or moves mail (it opens folders read-only and fetches with BODY.PEEK), so the
mailbox stays as the people who share it left it. Where it is in each mailbox is the `MailboxCursor`
committed with every mail; a new UIDVALIDITY starts over and the Message-ID key skips what is known.
With a single mailbox that supports IDLE the poller waits for the server's news instead of sleeping.
"""

from __future__ import annotations

import imaplib
import logging
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from deskpilot.channels.base import IntakeOutcome, IntakeResult
from deskpilot.channels.email.intake import MailSource, ingest, last_uid
from deskpilot.channels.email.mailbox_drafts import MailboxDrafts
from deskpilot.config import MailboxSettings, Settings
from deskpilot.db import unit_of_work
from deskpilot.errors import ProviderError
from deskpilot.governance import connections
from deskpilot.mailserver.oauth2 import token_source, xoauth2
from deskpilot.triage.engine import TriageEngine

log = logging.getLogger(__name__)
_TIMEOUT_SECONDS = 60.0
# RFC 2177: re-issue IDLE before 29 minutes; servers may drop idle clients after 30.
_MAX_IDLE_SECONDS = 25 * 60


@dataclass
class PollReport:
    """What one pass over the mailboxes did, by outcome."""

    counts: dict[IntakeOutcome, int] = field(default_factory=lambda: dict.fromkeys(IntakeOutcome, 0))
    errors: list[str] = field(default_factory=list)

    def add(self, result: IntakeResult) -> None:
        self.counts[result.outcome] += 1

    @property
    def taken(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        taken = ", ".join(f"{outcome}: {count}" for outcome, count in self.counts.items() if count)
        return f"mail poll: {self.taken} mail(s) taken" + (f" ({taken})" if taken else "")


def connect(mailbox: MailboxSettings, *, timeout: float = _TIMEOUT_SECONDS) -> imaplib.IMAP4:
    """A logged-in IMAP connection to `mailbox`'s server."""
    try:
        # Python's IMAP4_SSL verifies no certificate unless given a context: this one checks it and the host name.
        client = (imaplib.IMAP4_SSL(mailbox.host, mailbox.port, timeout=timeout,
                                    ssl_context=ssl.create_default_context(cafile=mailbox.tls_ca_file or None))
                  if mailbox.ssl else imaplib.IMAP4(mailbox.host, mailbox.port, timeout=timeout))
        if mailbox.oauth2 is not None:
            response = xoauth2(mailbox.username, token_source(mailbox.oauth2).access_token()).encode()
            # A failed XOAUTH2 gets an error challenge; the empty answer lets the server end with NO.
            client.authenticate("XOAUTH2", lambda challenge: b"" if challenge else response)
        else:
            client.login(mailbox.username, mailbox.password)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ProviderError(f"IMAP mailbox {mailbox.name!r} at {mailbox.host}:{mailbox.port}: {exc}",
                            retryable=True) from exc
    return client


def select_folder(client: imaplib.IMAP4, folder: str, *, readonly: bool = True) -> int:
    status, data = client.select(folder, readonly=readonly)
    if status != "OK":
        raise ProviderError(f"IMAP folder {folder!r} cannot be opened: {data!r}", retryable=False)
    _, values = client.response("UIDVALIDITY")
    return int(values[0]) if values and values[0] else 0


def new_uids(client: imaplib.IMAP4, after: int) -> list[int]:
    """UIDs above `after`, ascending (IMAP answers `n:*` with the last UID even when it is lower)."""
    _, data = client.uid("SEARCH", f"UID {after + 1}:*")
    found = (int(token) for line in data if line for token in line.split())
    return sorted(uid for uid in found if uid > after)


def fetch(client: imaplib.IMAP4, uid: int) -> bytes | None:
    """The exact bytes of a message, without setting \\Seen; None when it was expunged meanwhile."""
    _, data = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def poll_mailbox(factory: sessionmaker[Session], *, settings: Settings, triage: TriageEngine,
                 mailbox: MailboxSettings, client: imaplib.IMAP4, report: PollReport,
                 drafts: MailboxDrafts | None = None) -> None:
    """Take every new mail of one mailbox, each in its own transaction, up to the batch size; with `drafts`
    and a drafts folder, first note the drafts agents sent, then tag each new mail and draft a reply to it."""
    if drafts is not None:
        drafts.recognise_sent(factory, client, mailbox)
    uidvalidity = select_folder(client, mailbox.folder, readonly=not (drafts and mailbox.drafts_folder))
    with factory() as session:
        start = last_uid(session, mailbox=mailbox.name, uidvalidity=uidvalidity)
    for uid in new_uids(client, start)[: settings.mail_batch_size]:
        raw = fetch(client, uid)
        if raw is None:
            continue
        with unit_of_work(factory) as session:
            result = ingest(session, settings=settings, triage=triage, raw=raw,
                            source=MailSource(mailbox.name, uidvalidity, uid))
        report.add(result)
        log.info("%s uid %d: %s (ticket %s)", mailbox.name, uid, result.outcome, result.ticket_id)
        if drafts is not None:
            drafts.after_mail(factory, client, mailbox, uid, result)


def poll_once(factory: sessionmaker[Session], *, settings: Settings, triage: TriageEngine,
              connector: Callable[[MailboxSettings], imaplib.IMAP4] = connect,
              drafts: MailboxDrafts | None = None) -> PollReport:
    """One pass over every configured mailbox (as in force: an administrator's change holds from the next pass);
    a mailbox that fails is reported, the others still run."""
    with unit_of_work(factory) as session:
        settings = connections.in_force(session, settings)
    report = PollReport()
    for mailbox in settings.mail_mailboxes:
        try:
            client = connector(mailbox)
            try:
                poll_mailbox(factory, settings=settings, triage=triage, mailbox=mailbox, client=client, report=report,
                             drafts=drafts)
            finally:
                _logout(client)
        except (ProviderError, OSError, imaplib.IMAP4.error) as exc:
            message = exc.message if isinstance(exc, ProviderError) else f"{mailbox.name}: {exc}"
            log.warning("mailbox poll failed: %s", message)
            report.errors.append(message)
    return report


def _logout(client: imaplib.IMAP4) -> None:
    try:
        client.logout()
    except (OSError, imaplib.IMAP4.error):
        log.debug("IMAP logout failed; the connection is gone anyway")


def wait_for_mail(mailbox: MailboxSettings, *, seconds: float, stop: threading.Event) -> None:
    """Return when the server announces new mail (IDLE) or after `seconds`, whichever comes first."""
    try:
        client = connect(mailbox)
    except ProviderError:
        stop.wait(seconds)
        return
    try:
        if "IDLE" not in client.capabilities:
            stop.wait(seconds)
            return
        select_folder(client, mailbox.folder)
        _idle(client, min(seconds, _MAX_IDLE_SECONDS))
    except (OSError, imaplib.IMAP4.error, ProviderError) as exc:
        log.info("IDLE on %s ended early: %s", mailbox.name, exc)
    finally:
        _logout(client)


def _idle(client: imaplib.IMAP4, seconds: float) -> None:
    # imaplib in Python 3.11 has no IDLE; speak it directly (RFC 2177) on the same connection.
    tag = client._new_tag()
    client.send(tag + b" IDLE\r\n")
    if not client.readline().startswith(b"+"):
        raise imaplib.IMAP4.error("the server refused IDLE")
    sock = client.socket()
    deadline = time.monotonic() + seconds
    try:
        while (remaining := deadline - time.monotonic()) > 0:
            sock.settimeout(remaining)
            try:
                line = client.readline()
            except TimeoutError:
                break
            if not line or b"EXISTS" in line or b"RECENT" in line:
                break
    finally:
        sock.settimeout(_TIMEOUT_SECONDS)
        client.send(b"DONE\r\n")
        while not (line := client.readline()).startswith(tag) and line:
            continue


def run(factory: sessionmaker[Session], *, settings: Settings, triage: TriageEngine, stop: threading.Event,
        on_pass: Callable[[PollReport], None] | None = None, drafts: MailboxDrafts | None = None) -> None:
    """Poll until `stop` is set; between passes wait with IDLE (one mailbox) or the poll interval."""
    while not stop.is_set():
        report = poll_once(factory, settings=settings, triage=triage, drafts=drafts)
        if on_pass is not None:
            on_pass(report)
        if report.taken >= settings.mail_batch_size:
            continue
        if len(settings.mail_mailboxes) == 1 and not report.errors:
            wait_for_mail(settings.mail_mailboxes[0], seconds=settings.mail_poll_interval_seconds, stop=stop)
        else:
            stop.wait(settings.mail_poll_interval_seconds)
