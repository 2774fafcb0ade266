"""Chat load on loopback: N concurrent conversations × T turns against deskpilot, with the worker and mail beside.

By default the script prepares a temporary data directory with the Northwind demo (users, ticket history,
56 approved KB articles and their index; SQLite unless --database-url or --postgres), starts `deskpilot serve`
(`--processes N` app processes) on a free port, and drives it. Against a server of your own, pass --url and the
--database-url it uses (the script adds the load-test requesters and their API tokens there).

Each conversation asks a demo question, answers "no", reports each troubleshooting step as not working,
and keeps writing after the ticket is opened: every turn is one POST with an Idempotency-Key, retried with
the same key on a transport error. Beside the chats, optionally: `deskpilot worker` with the SLA sweep every
--sla-every seconds (--worker), and a burst of --mail-burst mails delivered through the real SMTP listener
(`deskpilot mail smtpd`), each retried with its Message-ID on a temporary failure as a mail server would.

Afterwards the database is counted: every acknowledged chat turn and every accepted mail must be stored exactly
once (lost and duplicated are reported; the script exits 1 on any error, loss or duplicate). Reported beside
them: server-side time per turn (the Server-Timing header: `app` = dependencies, work and commit; `queue` =
waiting for admission), client-side latencies beside the baseline GET /healthz in the same run, the SLA
sweeps the worker ran, CPU per process role and the machine's 1-minute load average during the run.

    .venv/bin/python benchmarks/chat_load.py --conversations 50 --turns 20
    .venv/bin/python benchmarks/chat_load.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        --conversations 200 --turns 20 --think 15 --ramp 15 --processes 4 --worker --mail-burst 100 --twin

(`--twin`: the same load again afterwards, on a fresh desk, with one app process and no separate worker.)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import NamedTuple, TypeVar

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from turn_tail import TurnTiming, by_phase, by_turn

from deskpilot.accounts import service as accounts
from deskpilot.accounts.enums import Role
from deskpilot.accounts.principal import Principal
from deskpilot.accounts.schemas import UserCreate
from deskpilot.audit.keyring import configure_audit
from deskpilot.channels.email.models import InboundMail
from deskpilot.channels.email.parse import normalise_message_id
from deskpilot.config import Environment, Settings
from deskpilot.connectors.http import retry_after_seconds
from deskpilot.conversations.models import ConversationMessage
from deskpilot.conversations.state import Author
from deskpilot.db import make_engine, session_factory, unit_of_work
from deskpilot.demo.loader import load_demo
from deskpilot.kb import indexing
from deskpilot.migrations import upgrade
from deskpilot.ml.embeddings import load_embedder
from deskpilot.ml.multilingual import load_multilingual_embedder
from deskpilot.sealed_storage import configure_sealing

QUESTIONS = ("My VPN does not connect from home", "How do I add a printer?", "Outlook is not syncing my mail",
             "I forgot my password", "The Wi-Fi in the office does not work", "Teams has no sound in meetings",
             "My laptop is very slow", "How do I get access to a shared mailbox?")
SETUP = Principal.system("chat-load")
T = TypeVar("T")
ATTEMPTS = 5  # sends of one POST before the turn counts as failed
_SWEEP_LINE = re.compile(r"^sla\.sweep \[(\w+)\]", re.MULTILINE)


class Requester(NamedTuple):
    token: str
    email: str


@dataclass
class Stats:
    server_ms: list[float] = field(default_factory=list)
    queue_ms: list[float] = field(default_factory=list)
    client_ms: list[float] = field(default_factory=list)
    health_ms: list[float] = field(default_factory=list)
    ticket_turn_ms: list[float] = field(default_factory=list)
    mail_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Each acknowledged turn's index in its conversation, when it was sent and its server-side times: where the tail is.
    turns: list[TurnTiming] = field(default_factory=list)
    began: float = field(default_factory=time.perf_counter)
    retries: int = 0
    # Answers that asked to come back later (503 or 429 with Retry-After), by status, then sent again.
    busy_retries: Counter[int] = field(default_factory=Counter)
    # What the server acknowledged (201 / SMTP 250), to be counted in the database afterwards.
    sent: dict[int, list[str]] = field(default_factory=dict)
    mails: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True)
class Tally:
    """What the database holds of what was acknowledged: missing and extra copies."""

    turns: int
    lost: int
    duplicated: int
    mails: int
    mails_lost: int
    mails_duplicated: int
    mail_outcomes: Mapping[str, int]

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.mails_lost or self.mails_duplicated)


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A throw-away database on the PostgreSQL server of `admin_url`, dropped afterwards."""
    name = f"deskpilot_chat_load_{uuid.uuid4().hex[:8]}"
    admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(database_url: str, data_dir: Path, conversations: int, *, demo: bool) -> list[Requester]:
    """Migrate (and load the demo), index the KB, and give each conversation its own requester and token."""
    settings = Settings(environment=Environment.TEST, database_url=database_url, data_dir=data_dir)
    configure_audit(settings)  # seal with the data directory's key, the one the started processes verify with
    configure_sealing(settings)  # and seal stored text with the data directory's keys, which they open with
    upgrade(database_url)
    engine = make_engine(database_url)
    with unit_of_work(session_factory(engine)) as session:
        if demo:
            load_demo(session)
        # With its multilingual vectors, as a running desk has it on disk: otherwise every app process computes
        # them when it starts (a minute of CPU each on a loaded machine), beside the measured turns.
        index = indexing.rebuild(session, index_dir=settings.index_dir,
                                 embedder=load_embedder(settings.embedding_model),
                                 multilingual=load_multilingual_embedder(settings.multilingual_model))
        index.cross_lingual()
        indexing.save(index, settings.index_dir)
        requesters = _new_requesters(session, conversations)
    engine.dispose()
    return requesters


def add_requesters(database_url: str, data_dir: Path, count: int) -> list[Requester]:
    """`count` more requesters with their API tokens on a desk `prepare` set up in `data_dir`."""
    settings = Settings(environment=Environment.TEST, database_url=database_url, data_dir=data_dir)
    configure_audit(settings)
    configure_sealing(settings)
    engine = make_engine(database_url)
    with unit_of_work(session_factory(engine)) as session:
        requesters = _new_requesters(session, count)
    engine.dispose()
    return requesters


def _new_requesters(session: Session, count: int) -> list[Requester]:
    run = uuid.uuid4().hex[:6]
    requesters = []
    for n in range(count):
        email = f"load-{run}-{n}@northwind.example"
        user = accounts.create(session, actor=SETUP, data=UserCreate(
            username=f"load-{run}-{n}", email=email, full_name=f"Load {n}", role=Role.REQUESTER))
        requesters.append(Requester(accounts.issue_token(session, actor=SETUP, user_id=user.id,
                                                         name="chat-load")[1], email))
    return requesters


def child_environment(database_url: str, data_dir: Path, *, http_concurrency: int | None = None,
                      sla_every: float | None = None) -> dict[str, str]:
    """The environment of every process the script starts: one database, one data directory."""
    # Load-test requesters open far more tickets and conversations per hour than a person may: no hourly limits.
    env = os.environ | {"DESKPILOT_DATABASE_URL": database_url, "DESKPILOT_DATA_DIR": str(data_dir),
                        "DESKPILOT_ENVIRONMENT": "test", "DESKPILOT_REQUESTER_MAX_TICKETS_PER_HOUR": "0",
                        "DESKPILOT_REQUESTER_MAX_CONVERSATIONS_PER_HOUR": "0"}
    if http_concurrency is not None:
        env["DESKPILOT_HTTP_CONCURRENCY"] = str(http_concurrency)
    if sla_every is not None:
        env["DESKPILOT_JOB_INTERVALS"] = json.dumps({"sla.sweep": sla_every})
    return env


@contextmanager
def child(name: str, command: list[str], env: Mapping[str, str], log_path: Path,
          ready: Callable[[], bool]) -> Iterator[int]:
    """`deskpilot <command>` in a child process (its pid) once `ready()`, stopped with SIGTERM when the block ends."""
    log = log_path.open("wb")
    process = subprocess.Popen([sys.executable, "-m", "deskpilot.cli", *command], env=dict(env), stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 600  # a loaded 2-core machine imports 4 app processes slowly
        while not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start: {log_path.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        problems = [line for line in log_path.read_text(errors="replace").splitlines() if "Error" in line]
        if problems:
            print(f"{name} log, last errors:\n  " + "\n  ".join(problems[-5:]), flush=True)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def served(database_url: str, data_dir: Path, log_path: Path, *, processes: int = 1,
           env: Mapping[str, str] | None = None) -> Iterator[tuple[str, int]]:
    """`deskpilot serve --workers N` on a free loopback port (its URL and pid), until the block ends."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with child("the server", ["serve", "--port", str(port), "--workers", str(processes)],
               env or child_environment(database_url, data_dir), log_path, lambda: _answers(url)) as pid:
        yield url, pid


def _post(client: httpx.Client, path: str, payload: dict[str, str], stats: Stats, turn: int) -> httpx.Response:
    """POST with one Idempotency-Key, as a real client does: sent again with it on a transport error, and after
    the wait that `Retry-After` asks on a 503 or 429 (counted apart; the turn is an error only if it finally
    fails). The client-side time is the whole turn's, retries and waits included; the server-side time is the
    answering attempt's, recorded with `turn`, the turn's index in its conversation."""
    key = uuid.uuid4().hex
    started = time.perf_counter()
    for attempt in range(1, ATTEMPTS + 1):
        try:
            response = client.post(path, json=payload, headers={"Idempotency-Key": key})
        except httpx.TransportError as exc:
            with stats.lock:
                stats.retries += 1
            if attempt == ATTEMPTS:
                raise RuntimeError(f"{path}: {exc}") from exc
            continue
        wait = retry_after(response)
        if wait is not None and attempt < ATTEMPTS:
            with stats.lock:
                stats.busy_retries[response.status_code] += 1
            time.sleep(wait)
            continue
        timing = server_timing(response)
        with stats.lock:
            stats.client_ms.append((time.perf_counter() - started) * 1000)
            if "app" in timing:
                stats.server_ms.append(timing["app"])
                stats.queue_ms.append(timing.get("queue", 0.0))
                stats.turns.append(TurnTiming(turn, started - stats.began, timing["app"], timing.get("queue", 0.0)))
        return response
    raise RuntimeError("unreachable")


def retry_after(response: httpx.Response) -> float | None:
    """The seconds a 503 or 429 asks the client to wait before sending again (at most a minute), else None."""
    if response.status_code not in (429, 503):
        return None
    asked = retry_after_seconds(response.headers.get("retry-after"))
    return None if asked is None else min(asked, 60.0)


def server_timing(response: httpx.Response) -> dict[str, float]:
    """`Server-Timing` entries by name: `app` (dependencies, work, commit) and `queue` (admission wait)."""
    found: dict[str, float] = {}
    for header in response.headers.get_list("server-timing"):
        for entry in header.split(","):
            name, _, rest = entry.strip().partition(";dur=")
            if rest:
                found[name] = float(rest)
    return found


def _pause(low: float, high: float) -> None:
    if high > 0:
        time.sleep(random.uniform(low, high))  # noqa: S311 - a person arriving or typing, not security


def converse(url: str, token: str, number: int, turns: int, stats: Stats, think: float = 0.0,
             ramp: float = 0.0) -> None:
    """One conversation of `turns` requester messages; what the server acknowledged goes into `stats.sent`."""
    opened = False
    _pause(0.0, ramp)
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
        first = f"{QUESTIONS[number % len(QUESTIONS)]} (load {number})"
        response = _post(client, "/api/v1/conversations", {"message": first}, stats, 1)
        if response.status_code != 201:
            stats.errors.append(f"create: {response.status_code} {response.text[:200]}")
            return
        conversation = response.json()["id"]
        state = response.json()["state"]
        sent = [first]
        with stats.lock:
            stats.sent[conversation] = sent
        for turn in range(2, turns + 1):
            _pause(0.5 * think, 1.5 * think)
            # The assistant asks before it opens a ticket (after a few failed steps): the requester says yes.
            body = ("no" if turn == 2 else f"Yes please, turn {turn} of conversation {number}"
                    if state == "offering_ticket" else f"Still not working, turn {turn} of conversation {number}")
            response = _post(client, f"/api/v1/conversations/{conversation}/messages", {"body": body}, stats, turn)
            if response.status_code != 201:
                stats.errors.append(f"turn {turn}: {response.status_code} {response.text[:200]}")
                return
            sent.append(body)
            state = response.json()["conversation"]["state"]
            if response.json()["conversation"]["ticket_id"] is not None and not opened:
                opened = True
                with stats.lock:
                    stats.ticket_turn_ms.append(server_timing(response).get("app", float("nan")))
            started = time.perf_counter()
            client.get("/healthz")
            with stats.lock:
                stats.health_ms.append((time.perf_counter() - started) * 1000)


def mail_burst(port: int, senders: list[str], count: int, stats: Stats, *, connections: int = 4) -> None:
    """`count` mails from the requesters through the SMTP listener on `port`, `connections` at a time; a
    temporary refusal (4xx) or a broken connection is retried with the same Message-ID, as a mail server does."""
    run = uuid.uuid4().hex[:6]

    def send(n: int) -> None:
        message = EmailMessage()
        message["From"] = senders[n % len(senders)]
        message["To"] = "helpdesk@northwind.example"
        message["Subject"] = f"{QUESTIONS[n % len(QUESTIONS)]} (mail {n})"
        message["Message-ID"] = f"<load-{run}-{n}@northwind.example>"
        message.set_content(f"Hello,\n\n{QUESTIONS[(n + 3) % len(QUESTIONS)]} since this morning (mail {n}).\n")
        for attempt in range(5):
            started = time.perf_counter()
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
                    client.send_message(message)
            except (smtplib.SMTPResponseException, OSError) as exc:
                temporary = not isinstance(exc, smtplib.SMTPResponseException) or 400 <= exc.smtp_code < 500
                if temporary and attempt < 4:
                    with stats.lock:
                        stats.retries += 1
                    time.sleep(1)
                    continue
                with stats.lock:
                    stats.errors.append(f"mail {n}: {exc}")
                return
            with stats.lock:
                stats.mail_ms.append((time.perf_counter() - started) * 1000)
                stats.mails.append(normalise_message_id(str(message["Message-ID"])))
            return

    with ThreadPoolExecutor(max_workers=connections) as pool:
        list(pool.map(send, range(count)))


def count_in_database(database_url: str, stats: Stats) -> Tally:
    """Compare what the server acknowledged with what the database holds, message by message."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            stored: dict[int, Counter[str]] = {conversation: Counter() for conversation in stats.sent}
            for ids in _chunks(list(stats.sent)):
                for conversation, body in connection.execute(
                        select(ConversationMessage.conversation_id, ConversationMessage.body).where(
                            ConversationMessage.author_kind == Author.REQUESTER,
                            ConversationMessage.conversation_id.in_(ids))):
                    stored[conversation][body] += 1
            copies: Counter[str] = Counter()
            outcomes: Counter[str] = Counter()
            for ids in _chunks(stats.mails):
                for message_id, status, copies_stored in connection.execute(
                        select(InboundMail.message_id, func.min(InboundMail.status), func.count()).where(
                            InboundMail.message_id.in_(ids)).group_by(InboundMail.message_id)):
                    copies[message_id] = copies_stored
                    outcomes[str(status)] += 1
    finally:
        engine.dispose()
    lost = duplicated = 0
    for conversation, sent in stats.sent.items():
        expected = Counter(sent)
        lost += sum((expected - stored[conversation]).values())
        duplicated += sum((stored[conversation] - expected).values())
    return Tally(turns=sum(len(sent) for sent in stats.sent.values()), lost=lost, duplicated=duplicated,
                 mails=len(stats.mails), mails_lost=sum(1 for mail in stats.mails if not copies[mail]),
                 mails_duplicated=sum(max(0, n - 1) for n in copies.values()), mail_outcomes=dict(outcomes))


def _chunks(items: list[T], size: int = 500) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else float("nan")


def drive(url: str, tokens: list[str], turns: int, stats: Stats, *, think: float = 0.0, ramp: float = 0.0) -> None:
    """Every conversation at once (each starting within `ramp` seconds), errors collected in `stats`."""
    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        for future in [pool.submit(converse, url, token, n, turns, stats, think, ramp)
                       for n, token in enumerate(tokens)]:
            try:
                future.result()
            except RuntimeError as exc:
                stats.errors.append(str(exc))


class LoadSampler:
    """The machine's 1-minute load average, sampled every few seconds while a block runs."""

    def __init__(self, every: float = 5.0) -> None:
        self.every = every
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            self.samples.append(os.getloadavg()[0])
            if self._stop.wait(self.every):
                return

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> str:
        return f"{min(self.samples):.1f}–{max(self.samples):.1f}" if self.samples else "n/a"


def _process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (Linux /proc): uvicorn's worker processes are children of the server."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(parents.get(current, []))
    return tree


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the processes `pids` and their descendants so far, NaN when not measurable."""
    total, found = 0.0, False
    for pid in {child for root in pids for child in _process_tree(root)}:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found = True
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total if found else float("nan")


@dataclass
class Roles:
    """The pids of the processes started, by role (none against a server of your own)."""

    app: list[int] = field(default_factory=list)
    worker: list[int] = field(default_factory=list)
    smtp: list[int] = field(default_factory=list)

    def cpu(self) -> dict[str, float]:
        return {"app": _cpu_seconds(self.app), "worker": _cpu_seconds(self.worker), "smtp": _cpu_seconds(self.smtp)}


def settle(roles: Roles, *, every: float = 2.0, idle: float = 0.2, timeout: float = 600.0) -> None:
    """Wait until the app processes are idle (less than `idle` CPU seconds in `every` seconds): each warms its
    caches in the background after it starts answering (`runtime.warm_in_background`), and a desk meets its
    load long after it started, not while it warms."""
    deadline = time.monotonic() + timeout
    before = roles.cpu()["app"]
    while time.monotonic() < deadline:
        time.sleep(every)
        now = roles.cpu()["app"]
        if not now - before >= idle:  # NaN (no process of ours to watch) counts as idle
            return
        before = now


def measure(url: str, requesters: list[Requester], args: argparse.Namespace, roles: Roles,
            smtp_port: int | None) -> tuple[Stats, float, dict[str, float], LoadSampler]:
    """Warm every app process, then the chats (and the mail burst after --mail-delay) with CPU and load."""
    tokens = [requester.token for requester in requesters]
    # Unmeasured conversations first, a few per process (one after another: a requester starts one at a time, and
    # each opens a new connection, which any process may take): each process loads its models lazily.
    for number in range(2 * args.processes):
        converse(url, tokens[0], -1 - number, 3, Stats())
    settle(roles)
    stats = Stats()
    cpu = roles.cpu()
    started = time.perf_counter()
    with LoadSampler() as load, ThreadPoolExecutor(max_workers=1) as background:
        burst = None
        if smtp_port is not None and args.mail_burst:
            def delayed_burst() -> None:
                time.sleep(args.mail_delay)
                mail_burst(smtp_port, [requester.email for requester in requesters], args.mail_burst, stats)
            burst = background.submit(delayed_burst)
        drive(url, tokens, args.turns, stats, think=args.think, ramp=args.ramp)
        if burst is not None:
            burst.result()
        wall = time.perf_counter() - started
    after = roles.cpu()
    return stats, wall, {role: after[role] - cpu[role] for role in cpu}, load


def report(args: argparse.Namespace, database: str, stats: Stats, tally: Tally, wall: float,
           cpu: Mapping[str, float], load: LoadSampler, sweeps: Mapping[str, int]) -> int:
    turns = len(stats.server_ms)
    print(f"\n$ {' '.join(sys.argv)}\n{os.cpu_count()} cores; 1-minute load average during the run "
          f"{load.summary()}; database {database}; {args.processes} app process(es); worker "
          f"{'on' if args.worker else 'off'}; think {args.think:g} s; ramp {args.ramp:g} s")
    print(f"{turns} turns in {wall:.1f} s ({turns / wall:.1f} turns/s); errors {len(stats.errors)}; "
          f"transport or SMTP retries {stats.retries}; sent again after Retry-After "
          f"{dict(sorted(stats.busy_retries.items())) or 'none'}; {len(stats.ticket_turn_ms)} turns opened a ticket")
    print(f"database count: {tally.turns} acknowledged turns, {tally.lost} lost, {tally.duplicated} duplicated; "
          f"{tally.mails} accepted mails, {tally.mails_lost} lost, {tally.mails_duplicated} duplicated "
          f"(outcomes {dict(sorted(tally.mail_outcomes.items())) or 'none'})")
    if args.worker:
        print(f"SLA sweeps by the worker: {dict(sorted(sweeps.items())) or 'none'}")
    per_turn = cpu["app"] * 1000 / max(turns, 1)
    print(f"CPU (user + system) during the run: app {cpu['app']:.1f} s ({per_turn:.1f} ms per turn), "
          f"worker {cpu['worker']:.1f} s, SMTP listener {cpu['smtp']:.1f} s")
    for error in stats.errors[:10]:
        print(f"  {error}")
    print("\n| measure | p50 ms | p95 ms | p99 ms |\n|---|---:|---:|---:|")
    total = [a + q for a, q in zip(stats.server_ms, stats.queue_ms, strict=True)]
    for name, values in (("chat turn, server-side work (Server-Timing app)", stats.server_ms),
                         ("chat turn, admission wait (Server-Timing queue)", stats.queue_ms),
                         ("chat turn, server-side total (app + queue)", total),
                         ("chat turn that opens the ticket, server-side work (app)", stats.ticket_turn_ms),
                         ("chat turn, client-side", stats.client_ms),
                         ("mail accepted by the SMTP listener (250 after commit), client-side", stats.mail_ms),
                         ("baseline GET /healthz, client-side", stats.health_ms)):
        print(f"| {name} | {p(values, 50):.1f} | {p(values, 95):.1f} | {p(values, 99):.1f} |")
    print("\nWhere the tail is: by phase (the ramp = the first --ramp seconds of the measured load)\n")
    print("\n".join(by_phase(stats.turns, args.ramp)))
    print("\nBy the turn's index in its conversation\n")
    print("\n".join(by_turn(stats.turns)))
    failed_sweeps = sum(n for status, n in sweeps.items() if status != "succeeded")
    return 1 if stats.errors or not tally.clean or failed_sweeps else 0


def sweeps_in(log_path: Path) -> Counter[str]:
    """The SLA sweep runs the worker reported in its log, by outcome."""
    if not log_path.exists():
        return Counter()
    return Counter(_SWEEP_LINE.findall(log_path.read_text(errors="replace")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--url", help="drive this server instead of starting one (needs --database-url)")
    parser.add_argument("--database-url", help="the server's database (default: SQLite in the temp data dir)")
    parser.add_argument("--postgres", metavar="ADMIN_URL",
                        help="run on a throw-away database of this PostgreSQL server (e.g. "
                             "postgresql+psycopg://postgres@127.0.0.1:5432/postgres)")
    parser.add_argument("--server-log", type=Path, help="keep the started server's log here")
    parser.add_argument("--think", type=float, default=0.0, metavar="SECONDS",
                        help="mean pause between a conversation's turns, as a person reads and types (uniform "
                             "between 0.5x and 1.5x; default 0: every conversation posts back to back)")
    parser.add_argument("--ramp", type=float, default=0.0, metavar="SECONDS",
                        help="each conversation starts at a random moment within this many seconds (default 0: "
                             "all at once)")
    parser.add_argument("--processes", type=int, default=1, help="app processes (`deskpilot serve --workers`)")
    parser.add_argument("--http-concurrency", type=int,
                        help="DESKPILOT_HTTP_CONCURRENCY of each app process (default: the setting's default)")
    parser.add_argument("--worker", action="store_true", help="run `deskpilot worker` beside the app")
    parser.add_argument("--sla-every", type=float, default=10.0, metavar="SECONDS",
                        help="the worker's SLA sweep interval (a divisor of a minute on PostgreSQL; default 10)")
    parser.add_argument("--mail-burst", type=int, default=0, metavar="N",
                        help="deliver N mails through `deskpilot mail smtpd` during the run (default 0)")
    parser.add_argument("--mail-delay", type=float, default=5.0, metavar="SECONDS",
                        help="seconds into the run at which the mail burst starts (default 5)")
    parser.add_argument("--twin", action="store_true",
                        help="afterwards, the same load on a fresh desk in the single-process layout (one app "
                             "process, no separate worker; the mail burst still through the listener), reported "
                             "beside it")
    args = parser.parse_args()
    if args.url and (args.worker or args.mail_burst or args.processes != 1 or args.twin):
        parser.error("--worker, --mail-burst, --processes and --twin start processes: not with --url")
    status = run(args)
    if args.twin:
        print("\nThe single-process twin: the same load, one app process, no separate worker", flush=True)
        status = max(status, run(single_process(args)))
    return status


def single_process(args: argparse.Namespace) -> argparse.Namespace:
    """`args` for the same load in the single-process layout (its server log beside the first one's)."""
    log = args.server_log.with_name(f"{args.server_log.stem}-single{args.server_log.suffix}") if args.server_log \
        else None
    return argparse.Namespace(**(vars(args) | {"processes": 1, "worker": False, "twin": False, "server_log": log}))


def run(args: argparse.Namespace) -> int:
    """Prepare a throw-away desk, start the processes `args` ask for, drive the load, count and report."""
    with tempfile.TemporaryDirectory(prefix="deskpilot-chat-load-") as tmp, ExitStack() as stack:
        data_dir = Path(tmp)
        database_url = args.database_url or f"sqlite:///{data_dir / 'deskpilot.db'}"
        if args.postgres:
            database_url = stack.enter_context(postgres_database(args.postgres))
        started = time.perf_counter()
        requesters = prepare(database_url, data_dir, args.conversations, demo=args.url is None)
        print(f"prepared in {time.perf_counter() - started:.0f} s; driving {args.conversations} conversations × "
              f"{args.turns} turns", flush=True)
        roles = Roles()
        url, smtp_port = args.url, None
        env = child_environment(database_url, data_dir, http_concurrency=args.http_concurrency,
                                sla_every=args.sla_every if args.worker else None)
        if not url:
            url, pid = stack.enter_context(served(database_url, data_dir, args.server_log or data_dir / "server.log",
                                                  processes=args.processes, env=env))
            roles.app.append(pid)
        worker_log = data_dir / "worker.log"
        if args.worker:
            roles.worker.append(stack.enter_context(child(
                "the worker", ["worker"], env, worker_log,
                lambda: "worker:" in worker_log.read_text(errors="replace"))))
        if args.mail_burst:
            port = _free_port()
            roles.smtp.append(stack.enter_context(child(
                "the SMTP listener", ["mail", "smtpd", "--port", str(port)], env, data_dir / "smtpd.log",
                lambda: _listening(port))))
            smtp_port = port
        stats, wall, cpu, load = measure(url, requesters, args, roles, smtp_port)
        tally = count_in_database(database_url, stats)
        sweeps = sweeps_in(worker_log)
    return report(args, database_url.split(":", 1)[0], stats, tally, wall, cpu, load, sweeps)


if __name__ == "__main__":
    raise SystemExit(main())
