"""Chat load on loopback: N concurrent conversations × T turns against a running deskpilot server.

By default the script prepares a temporary data directory with the Northwind demo (users, ticket history,
56 approved KB articles and their index; SQLite unless --database-url), starts `deskpilot serve` on a free
port, and drives it. Against a server of your own, pass --url and the --database-url it uses (the script
adds the load-test requesters and their API tokens there).

Each conversation asks a demo question, answers "no", reports each troubleshooting step as not working,
and keeps writing after the ticket is opened: every turn is one POST with an Idempotency-Key, retried with
the same key on a transport error. At the end every transcript is read back: each turn's text must be there
exactly once. Reported: errors, lost and duplicated messages, server-side p95 per turn (the Server-Timing
header: dependencies, work and commit) and client-side latencies beside the baseline GET /healthz measured
in the same run.

    .venv/bin/python benchmarks/chat_load.py --conversations 50 --turns 20
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import text

from deskpilot.accounts import service as accounts
from deskpilot.accounts.enums import Role
from deskpilot.accounts.principal import Principal
from deskpilot.accounts.schemas import UserCreate
from deskpilot.config import Environment, Settings
from deskpilot.db import make_engine, session_factory, unit_of_work
from deskpilot.demo.loader import load_demo
from deskpilot.kb import indexing
from deskpilot.migrations import upgrade
from deskpilot.ml.embeddings import load_embedder

QUESTIONS = ("My VPN does not connect from home", "How do I add a printer?", "Outlook is not syncing my mail",
             "I forgot my password", "The Wi-Fi in the office does not work", "Teams has no sound in meetings",
             "My laptop is very slow", "How do I get access to a shared mailbox?")
SETUP = Principal.system("chat-load")


@dataclass
class Stats:
    server_ms: list[float] = field(default_factory=list)
    queue_ms: list[float] = field(default_factory=list)
    client_ms: list[float] = field(default_factory=list)
    health_ms: list[float] = field(default_factory=list)
    ticket_turn_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    retries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


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


def prepare(database_url: str, data_dir: Path, conversations: int, *, demo: bool) -> list[str]:
    """Migrate (and load the demo), index the KB, and give each conversation its own requester and token."""
    upgrade(database_url)
    settings = Settings(environment=Environment.TEST, database_url=database_url, data_dir=data_dir)
    engine = make_engine(database_url)
    tokens = []
    with unit_of_work(session_factory(engine)) as session:
        if demo:
            load_demo(session)
        indexing.rebuild(session, index_dir=settings.index_dir, embedder=load_embedder(settings.embedding_model))
        run = uuid.uuid4().hex[:6]
        for n in range(conversations):
            user = accounts.create(session, actor=SETUP, data=UserCreate(
                username=f"load-{run}-{n}", email=f"load-{run}-{n}@northwind.example", full_name=f"Load {n}",
                role=Role.REQUESTER))
            tokens.append(accounts.issue_token(session, actor=SETUP, user_id=user.id, name="chat-load")[1])
    engine.dispose()
    return tokens


@contextmanager
def served(database_url: str, data_dir: Path, log_path: Path) -> Iterator[tuple[str, int]]:
    """`deskpilot serve` in a child process on a free loopback port (its URL and pid), until the block ends."""
    port = _free_port()
    # Load-test requesters open far more tickets and conversations per hour than a person may: no hourly limits.
    env = os.environ | {"DESKPILOT_DATABASE_URL": database_url, "DESKPILOT_DATA_DIR": str(data_dir),
                        "DESKPILOT_ENVIRONMENT": "test", "DESKPILOT_REQUESTER_MAX_TICKETS_PER_HOUR": "0",
                        "DESKPILOT_REQUESTER_MAX_CONVERSATIONS_PER_HOUR": "0"}
    log = log_path.open("wb")
    process = subprocess.Popen([sys.executable, "-m", "deskpilot.cli", "serve", "--port", str(port)], env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.2)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        problems = [line for line in log_path.read_text(errors="replace").splitlines() if "Error" in line]
        if problems:
            print("server log, last errors:\n  " + "\n  ".join(problems[-5:]), flush=True)


def _post(client: httpx.Client, path: str, payload: dict[str, str], stats: Stats) -> httpx.Response:
    key = uuid.uuid4().hex
    for attempt in range(3):
        started = time.perf_counter()
        try:
            response = client.post(path, json=payload, headers={"Idempotency-Key": key})
        except httpx.TransportError as exc:
            with stats.lock:
                stats.retries += 1
            if attempt == 2:
                raise RuntimeError(f"{path}: {exc}") from exc
            continue
        elapsed = (time.perf_counter() - started) * 1000
        timing = server_timing(response)
        with stats.lock:
            stats.client_ms.append(elapsed)
            stats.server_ms.append(timing.get("app", float("nan")))
            stats.queue_ms.append(timing.get("queue", 0.0))
        return response
    raise RuntimeError("unreachable")


def server_timing(response: httpx.Response) -> dict[str, float]:
    """`Server-Timing` entries by name: `app` (dependencies, work, commit) and `queue` (admission wait)."""
    found: dict[str, float] = {}
    for header in response.headers.get_list("server-timing"):
        for entry in header.split(","):
            name, _, rest = entry.strip().partition(";dur=")
            if rest:
                found[name] = float(rest)
    return found


def converse(url: str, token: str, number: int, turns: int, stats: Stats, think: float = 0.0) -> None:
    """One conversation of `turns` requester messages, then its transcript checked message by message."""
    sent: list[str] = []
    opened = False
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        first = f"{QUESTIONS[number % len(QUESTIONS)]} (load {number})"
        response = _post(client, "/api/v1/conversations", {"message": first}, stats)
        if response.status_code != 201:
            stats.errors.append(f"create: {response.status_code} {response.text[:200]}")
            return
        conversation = response.json()["id"]
        state = response.json()["state"]
        sent.append(first)
        for turn in range(2, turns + 1):
            if think:
                time.sleep(random.uniform(0.5 * think, 1.5 * think))  # noqa: S311 - a person typing, not security
            # The assistant asks before it opens a ticket (after a few failed steps): the requester says yes.
            body = ("no" if turn == 2 else f"Yes please, turn {turn} of conversation {number}"
                    if state == "offering_ticket" else f"Still not working, turn {turn} of conversation {number}")
            response = _post(client, f"/api/v1/conversations/{conversation}/messages", {"body": body}, stats)
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
        stored = [m["body"] for m in client.get(f"/api/v1/conversations/{conversation}").json()["messages"]
                  if m["author_kind"] == "requester"]
    if stored != sent:
        lost = [s for s in sent if s not in stored]
        stats.errors.append(f"conversation {conversation}: {len(lost)} lost, "
                            f"{len(stored) - len(set(stored))} duplicated message(s)")


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else float("nan")


def run(url: str, tokens: list[str], turns: int, think: float) -> Stats:
    stats = Stats()
    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        for future in [pool.submit(converse, url, token, n, turns, stats, think) for n, token in enumerate(tokens)]:
            try:
                future.result()
            except RuntimeError as exc:
                stats.errors.append(str(exc))
    return stats


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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="deskpilot-chat-load-") as tmp, ExitStack() as stack:
        data_dir = Path(tmp)
        database_url = args.database_url or f"sqlite:///{data_dir / 'deskpilot.db'}"
        if args.postgres:
            database_url = stack.enter_context(postgres_database(args.postgres))
        started = time.perf_counter()
        tokens = prepare(database_url, data_dir, args.conversations, demo=args.url is None)
        print(f"prepared in {time.perf_counter() - started:.0f} s; driving {args.conversations} conversations × "
              f"{args.turns} turns", flush=True)
        cpu = float("nan")
        if args.url:
            stats, wall, _ = _timed(args.url, tokens, args.turns, args.think)
        else:
            with served(database_url, data_dir, args.server_log or data_dir / "server.log") as (url, pid):
                stats, wall, cpu = _timed(url, tokens, args.turns, args.think, pid)
    turns = len(stats.server_ms)
    print(f"\ndatabase: {database_url.split(':', 1)[0]}; think {args.think:g} s;"
          f" {turns} turns in {wall:.1f} s ({turns / wall:.1f} turns/s); "
          f"errors {len(stats.errors)}; transport retries {stats.retries}")
    print(f"server CPU (user + system) during the run: {cpu:.1f} s, {cpu * 1000 / max(turns, 1):.1f} ms per turn; "
          f"{len(stats.ticket_turn_ms)} turns opened a ticket")
    for error in stats.errors[:10]:
        print(f"  {error}")
    print("\n| measure | p50 ms | p95 ms | p99 ms |\n|---|---:|---:|---:|")
    total = [a + q for a, q in zip(stats.server_ms, stats.queue_ms, strict=True)]
    for name, values in (("chat turn, server-side work (Server-Timing app)", stats.server_ms),
                         ("chat turn, admission wait (Server-Timing queue)", stats.queue_ms),
                         ("chat turn, server-side total (app + queue)", total),
                         ("chat turn that opens the ticket, server-side work (app)", stats.ticket_turn_ms),
                         ("chat turn, client-side", stats.client_ms),
                         ("baseline GET /healthz, client-side", stats.health_ms)):
        print(f"| {name} | {p(values, 50):.1f} | {p(values, 95):.1f} | {p(values, 99):.1f} |")
    return 1 if stats.errors else 0


def _cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of process `pid` so far (Linux /proc), NaN when not measurable."""
    stat = Path(f"/proc/{pid}/stat")
    if pid is None or not stat.exists():
        return float("nan")
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed(url: str, tokens: list[str], turns: int, think: float,
           pid: int | None = None) -> tuple[Stats, float, float]:
    # One unmeasured conversation first: the process loads the KB index, models and embeddings lazily.
    converse(url, tokens[0], -1, 3, Stats())
    cpu, started = _cpu_seconds(pid), time.perf_counter()
    stats = run(url, tokens, turns, think)
    return stats, time.perf_counter() - started, _cpu_seconds(pid) - cpu


if __name__ == "__main__":
    raise SystemExit(main())
