"""`deskpilot mail poll | smtpd | send | inbox`: the e-mail channel's jobs."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from deskpilot.channels.email import delivery, imap
from deskpilot.channels.email.enums import InboundStatus
from deskpilot.channels.email.mailbox_drafts import MailboxDrafts
from deskpilot.channels.email.models import InboundMail
from deskpilot.channels.email.smtp import start_listener
from deskpilot.cli.context import load_settings
from deskpilot.config import Settings
from deskpilot.db import make_engine, session_factory, unit_of_work
from deskpilot.errors import InvalidInput
from deskpilot.runtime import build_runtime


@contextmanager
def _factory(settings: Settings) -> Iterator[sessionmaker[Session]]:
    # Mail jobs commit once per mail, so they need a session factory rather than one unit of work.
    engine = make_engine(settings.resolved_database_url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def _print_report(report: imap.PollReport) -> None:
    print(report.summary())
    for error in report.errors:
        print(f"  error: {error}")


def cmd_poll(args: argparse.Namespace) -> int:
    settings = load_settings()
    if not settings.mail_mailboxes:
        raise InvalidInput("No mailboxes configured; set DESKPILOT_MAIL_MAILBOXES to a JSON list of "
                           '{"name", "host", "port", "username", "password", "folder", "ssl"} objects.')
    runtime = build_runtime(settings)
    drafts = MailboxDrafts(settings, runtime.kb)
    with _factory(settings) as factory:
        if args.once:
            report = imap.poll_once(factory, settings=settings, triage=runtime.triage, drafts=drafts)
            _print_report(report)
            return 1 if report.errors else 0
        imap.run(factory, settings=settings, triage=runtime.triage, stop=threading.Event(), on_pass=_print_report,
                 drafts=drafts)
    return 0


def cmd_smtpd(args: argparse.Namespace) -> int:
    settings = load_settings()
    with _factory(settings) as factory:
        controller = start_listener(factory, settings=settings, triage=build_runtime(settings).triage,
                                    host=args.host, port=args.port)
        print(f"SMTP listener on {controller.hostname}:{controller.port}; Ctrl-C to stop")
        try:
            threading.Event().wait()
        finally:
            controller.stop()
    return 0


def cmd_send(args: argparse.Namespace) -> int:
    settings = load_settings()
    if not settings.mail_smtp_host:
        raise InvalidInput("No SMTP server configured; set DESKPILOT_MAIL_SMTP_HOST (and _PORT, _USERNAME, ...).")
    with _factory(settings) as factory:
        if args.retry_failed:
            with unit_of_work(factory) as session:
                print(f"re-queued {delivery.retry_failed(session)} failed mail(s)")
        stop = threading.Event()
        while True:
            report = delivery.send_outbox(factory, settings=settings)
            if report.queued:
                print(f"queued {report.queued} reply(ies) written in the console or API")
            print(report.summary())
            if args.once or stop.wait(settings.mail_poll_interval_seconds):
                return 1 if report.failed else 0


def cmd_inbox(args: argparse.Namespace) -> int:
    settings = load_settings()
    with _factory(settings) as factory, factory() as session:
        query = select(InboundMail).order_by(InboundMail.id.desc()).limit(args.limit)
        if args.status:
            query = query.where(InboundMail.status == InboundStatus(args.status))
        for mail in session.scalars(query):
            ticket = f"DP-{mail.ticket_id}" if mail.ticket_id else "-"
            print(f"{mail.id:6} {mail.received_at:%Y-%m-%d %H:%M} {mail.status:18} {ticket:8} "
                  f"{mail.from_address[:40]:40} {mail.subject[:60]}")
            if mail.error:
                print(f"{'':7}{mail.error}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    mail = sub.add_parser("mail", help="the e-mail channel: poll, listen, send, inspect")
    mail_sub = mail.add_subparsers(dest="mail_command", required=True, metavar="WHAT")
    poll = mail_sub.add_parser("poll", help="take new mail from the configured IMAP mailboxes")
    poll.add_argument("--once", action="store_true", help="one pass, then exit")
    poll.set_defaults(func=cmd_poll)
    smtpd = mail_sub.add_parser("smtpd", help="receive mail over SMTP")
    smtpd.add_argument("--host", default=None, help="default: DESKPILOT_MAIL_SMTPD_HOST")
    smtpd.add_argument("--port", type=int, default=None, help="default: DESKPILOT_MAIL_SMTPD_PORT")
    smtpd.set_defaults(func=cmd_smtpd)
    send = mail_sub.add_parser("send", help="send the outbox (acknowledgements, agent replies)")
    send.add_argument("--once", action="store_true", help="one pass, then exit")
    send.add_argument("--retry-failed", action="store_true", help="re-queue mails that failed for good")
    send.set_defaults(func=cmd_send)
    inbox = mail_sub.add_parser("inbox", help="list received mail and what became of it")
    inbox.add_argument("--status", choices=[s.value for s in InboundStatus])
    inbox.add_argument("--limit", type=int, default=50)
    inbox.set_defaults(func=cmd_inbox)
