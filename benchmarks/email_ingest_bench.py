"""E-mail intake throughput: bare parsing (the baseline) beside the whole intake, commit per mail.

    .venv/bin/python benchmarks/email_ingest_bench.py [--mails 300] [--database-url postgresql+psycopg://...]

The mails are synthetic and mixed like a shared inbox: new requests in plain text and HTML-only,
replies threaded by In-Reply-To with quoted history, a small attachment, and an auto-reply. End to end
means parse + raw file + InboundMail row + requester lookup/creation + ticket or message + audit +
acknowledgement in the outbox, committed once per mail, with the desk's triage engine in the path (the embedding,
similar and major-incident search of every new ticket). Prints a table.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

from deskpilot.channels.email.parse import parse_mail
from deskpilot.channels.email.smtp import receive
from deskpilot.config import Environment, Settings
from deskpilot.db import make_engine, session_factory
from deskpilot.migrations import upgrade
from deskpilot.runtime import build_runtime

RUNS = 3


def _mail(n: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"Person {n % 40} <person{n % 40}@acme.example>"
    message["To"] = "servicedesk@desk.example"
    message["Message-ID"] = f"<bench-{n}@acme.example>"
    kind = n % 5
    message["Subject"] = f"Laptop {n} does not connect to the VPN" if kind != 1 else f"Re: Laptop {n - 1}"
    if kind == 1:
        message["In-Reply-To"] = f"<bench-{n - 1}@acme.example>"
        message.set_content(f"Still broken after the restart.\n\nOn Monday, Desk wrote:\n> restart {n}\n> please")
    elif kind == 2:
        message.set_content(f"<html><body><p>My laptop {n} cannot reach the VPN.</p><ul><li>Windows 11</li>"
                            "</ul></body></html>", subtype="html")
    elif kind == 3:
        message["Auto-Submitted"] = "auto-replied"
        message.set_content("I am out of the office.")
    else:
        message.set_content(f"Since this morning laptop {n} drops the VPN every few minutes.\n\nThanks,\nP")
        message.add_attachment(b"log line\n" * 200, maintype="text", subtype="plain", filename="vpn.log")
    return message.as_bytes()


def _rate(count: int, work: Callable[[], None]) -> float:
    started = time.perf_counter()
    work()
    return count / (time.perf_counter() - started)


def _end_to_end(mails: list[bytes], database_url: str | None) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        settings = Settings(database_url=url, environment=Environment.TEST, data_dir=Path(tmp) / "var",
                            mail_address="servicedesk@desk.example")
        factory = session_factory(engine)
        # The desk's triage engine, on the runtime's one embedder: every new ticket is embedded, compared with
        # recent and resolved tickets and classified (abstaining here: no model is trained in this data dir).
        triage = build_runtime(settings).triage
        run_id = time.time_ns()
        # Fresh Message-IDs per run so every run files every mail (no duplicate short-cuts).
        fresh = [raw.replace(b"@acme.example>", f".{run_id}@acme.example>".encode()) for raw in mails]
        rate = _rate(len(fresh), lambda: [receive(factory, settings=settings, triage=triage, raw=raw)
                                          for raw in fresh])
        engine.dispose()
        return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mails", type=int, default=300)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    mails = [_mail(n) for n in range(args.mails)]
    parse_rates = [_rate(len(mails), lambda: [parse_mail(raw) for raw in mails]) for _ in range(RUNS)]
    intake_rates = [_end_to_end(mails, args.database_url) for _ in range(RUNS)]
    database = (args.database_url or "sqlite").split("://", 1)[0].split("+", 1)[0]
    rows = [("parse only (baseline)", statistics.median(parse_rates)),
            (f"parse + intake, commit per mail ({database})", statistics.median(intake_rates))]
    print(f"{args.mails} mails, median of {RUNS} runs")
    print(f"| {'path':46} | {'mails/s':>9} | {'ms/mail':>8} |")
    print(f"|{'-' * 48}|{'-' * 11}|{'-' * 10}|")
    for name, rate in rows:
        print(f"| {name:46} | {rate:9.1f} | {1000 / rate:8.2f} |")


if __name__ == "__main__":
    main()
