"""The IMAP poller against a real Dovecot: tickets, threading, re-polls and crashes, on both databases."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from deskpilot.channels.email import imap, intake
from deskpilot.channels.email.models import InboundMail, MailboxCursor, OutboundMail
from deskpilot.config import Settings
from deskpilot.tickets.enums import Channel, MessageKind
from deskpilot.tickets.models import Ticket, TicketMessage
from deskpilot.triage.engine import TriageEngine
from tests.channels.email.conftest import Dovecot, mail


def _counts(factory: sessionmaker[Session]) -> tuple[int, int, int]:
    with factory() as session:
        return (session.scalar(select(func.count()).select_from(Ticket)) or 0,
                session.scalar(select(func.count()).select_from(InboundMail)) or 0,
                session.scalar(select(func.count()).select_from(OutboundMail)) or 0)


def test_new_mail_becomes_a_ticket_and_the_reply_threads_onto_it(
        factory: sessionmaker[Session], imap_settings: Settings, dovecot: Dovecot,
        mail_triage: TriageEngine) -> None:
    folder = imap_settings.mail_mailboxes[0].folder
    dovecot.append(folder, mail(message_id="first@acme.example"))

    report = imap.poll_once(factory, settings=imap_settings, triage=mail_triage)

    assert report.counts[intake.IntakeOutcome.TICKET_CREATED] == 1 and not report.errors
    with factory() as session:
        ticket = session.scalars(select(Ticket)).one()
        ack = session.scalars(select(OutboundMail)).one()
        assert (ticket.subject, ticket.channel) == ("Printer on floor 3 is jammed", Channel.EMAIL)
        assert ack.in_reply_to == "first@acme.example" and f"[DP-{ticket.id}]" in ack.subject

    dovecot.append(folder, mail(subject=f"Re: {ack.subject}", body="It works again after a restart.\n\n"
                                "On Mon, 23 Nov 2026, Service desk wrote:\n> we have received your request",
                                in_reply_to=ack.message_id, references=f"<first@acme.example> <{ack.message_id}>"))
    report = imap.poll_once(factory, settings=imap_settings, triage=mail_triage)

    assert report.counts[intake.IntakeOutcome.THREADED] == 1
    with factory() as session:
        messages = session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)).all()
        assert [(m.kind, m.channel, m.body) for m in messages] == [
            (MessageKind.PUBLIC_REPLY, Channel.EMAIL, "It works again after a restart.")]
    assert _counts(factory)[:2] == (1, 2)


def test_repolling_and_a_lost_cursor_create_no_duplicates(
        factory: sessionmaker[Session], imap_settings: Settings, dovecot: Dovecot,
        mail_triage: TriageEngine) -> None:
    folder = imap_settings.mail_mailboxes[0].folder
    dovecot.append(folder, *(mail(subject=f"Request {n}") for n in range(4)))

    first = imap.poll_once(factory, settings=imap_settings, triage=mail_triage)
    second = imap.poll_once(factory, settings=imap_settings, triage=mail_triage)
    with factory() as session, session.begin():
        # As if UIDVALIDITY changed or the cursor table was restored from an old backup.
        session.execute(delete(MailboxCursor))
    third = imap.poll_once(factory, settings=imap_settings, triage=mail_triage)

    assert first.counts[intake.IntakeOutcome.TICKET_CREATED] == 4
    assert second.taken == 0
    assert third.counts[intake.IntakeOutcome.DUPLICATE] == 4
    assert _counts(factory) == (4, 4, 4)


def test_a_failure_after_the_ticket_write_loses_nothing_and_duplicates_nothing(
        factory: sessionmaker[Session], imap_settings: Settings, dovecot: Dovecot,
        monkeypatch: pytest.MonkeyPatch,
        mail_triage: TriageEngine) -> None:
    dovecot.append(imap_settings.mail_mailboxes[0].folder, *(mail(subject=f"Request {n}") for n in range(5)))
    real_advance = intake.advance_cursor
    calls = {"n": 0}

    def crash_on_third(session: Session, source: intake.MailSource) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("power cut after the ticket was written")
        real_advance(session, source)

    monkeypatch.setattr(intake, "advance_cursor", crash_on_third)
    with pytest.raises(RuntimeError):
        imap.poll_once(factory, settings=imap_settings, triage=mail_triage)
    assert _counts(factory) == (2, 2, 2)

    monkeypatch.setattr(intake, "advance_cursor", real_advance)
    imap.poll_once(factory, settings=imap_settings, triage=mail_triage)

    assert _counts(factory) == (5, 5, 5)
    with factory() as session:
        assert sorted(session.scalars(select(Ticket.subject))) == [f"Request {n}" for n in range(5)]


_KILLED_POLLER = textwrap.dedent("""
    import os, signal, sys
    from deskpilot.channels.email import imap, intake
    from deskpilot.config import Settings
    from deskpilot.db import make_engine, session_factory
    from deskpilot.runtime import build_runtime

    kill_at = int(sys.argv[1])
    real_file, filed = intake._file, []

    def file_then_die(session, **kwargs):
        result = real_file(session, **kwargs)
        filed.append(result)
        if len(filed) == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)  # the ticket is written, the commit has not happened
        return result

    intake._file = file_then_die
    settings = Settings()
    imap.poll_once(session_factory(make_engine(settings.resolved_database_url)), settings=settings,
                   triage=build_runtime(settings).triage)
""")


def test_a_poller_killed_mid_batch_and_restarted_takes_every_mail_exactly_once(
        factory: sessionmaker[Session], imap_settings: Settings, dovecot: Dovecot, tmp_path: Path) -> None:
    dovecot.append(imap_settings.mail_mailboxes[0].folder, *(mail(subject=f"Request {n}") for n in range(12)))
    env = os.environ | {
        "DESKPILOT_DATABASE_URL": imap_settings.resolved_database_url, "DESKPILOT_DATA_DIR": str(tmp_path / "var"),
        "DESKPILOT_MAIL_ADDRESS": imap_settings.mail_address,
        "DESKPILOT_MAIL_MAILBOXES": json.dumps([m.model_dump() for m in imap_settings.mail_mailboxes]),
    }
    script = tmp_path / "poller.py"
    script.write_text(_KILLED_POLLER)

    killed = subprocess.run([sys.executable, str(script), "7"], env=env, cwd=tmp_path, timeout=120)

    assert killed.returncode == -signal.SIGKILL
    assert _counts(factory) == (6, 6, 6)
    restarted = subprocess.run([sys.executable, str(script), "0"], env=env, cwd=tmp_path, timeout=120)
    assert restarted.returncode == 0
    assert _counts(factory) == (12, 12, 12)
    with factory() as session:
        assert len(set(session.scalars(select(InboundMail.message_id)))) == 12
        assert session.scalar(select(MailboxCursor.last_uid)) == 12


def test_idle_wakes_the_poller_when_mail_arrives(
        factory: sessionmaker[Session], imap_settings: Settings, dovecot: Dovecot, mail_triage: TriageEngine) -> None:
    settings = imap_settings.model_copy(update={"mail_poll_interval_seconds": 30.0})
    stop, passes = threading.Event(), []
    worker = threading.Thread(target=imap.run, kwargs={"factory": factory, "settings": settings, "triage": mail_triage,
                                                       "stop": stop, "on_pass": passes.append}, daemon=True)
    worker.start()
    deadline = time.monotonic() + 10
    while not passes and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # let the poller enter IDLE

    started = time.monotonic()
    dovecot.append(settings.mail_mailboxes[0].folder, mail())
    while _counts(factory)[0] == 0 and time.monotonic() - started < 15:
        time.sleep(0.05)
    waited = time.monotonic() - started
    stop.set()

    assert _counts(factory)[0] == 1
    assert waited < 10, f"took {waited:.1f} s: the poller slept instead of idling"
