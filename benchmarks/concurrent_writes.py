"""Concurrent writers on loopback: C clients × W ticket creations and W chat turns each, against a served app.

Like `chat_load.py` (whose preparation and server it reuses), the script prepares a temporary data directory
with the Northwind demo (SQLite unless --postgres or --database-url), starts `deskpilot serve` on a free port
and warms it with one unmeasured conversation. Then every client, at once and back to back, creates a ticket
and posts a chat turn (its first turn starts a conversation), W times each; every POST carries its own
`Idempotency-Key`. Any answer but 201 counts as an error (a retryable 503 too). Reported per operation:
requests, errors by status, throughput and client-side p50/p95. Exit status 1 when anything failed.

    .venv/bin/python benchmarks/concurrent_writes.py --clients 16 --writes 50 \
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from chat_load import QUESTIONS, Stats, converse, p, postgres_database, prepare, served

OPERATIONS = ("ticket creation", "chat turn")


@dataclass
class Results:
    latency_ms: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name in OPERATIONS})
    errors: dict[str, Counter[str]] = field(default_factory=lambda: {name: Counter() for name in OPERATIONS})
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, operation: str, started: float, outcome: str) -> None:
        with self.lock:
            self.latency_ms[operation].append((time.perf_counter() - started) * 1000)
            if outcome != "201":
                self.errors[operation][outcome] += 1


def _post(client: httpx.Client, results: Results, operation: str, path: str,
          payload: dict[str, str]) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response = client.post(path, json=payload, headers={"Idempotency-Key": uuid.uuid4().hex})
    except httpx.TransportError as exc:
        results.record(operation, started, type(exc).__name__)
        return None
    results.record(operation, started, str(response.status_code))
    return response


def write(url: str, token: str, number: int, writes: int, results: Results) -> None:
    """One client: `writes` ticket creations and `writes` chat turns, interleaved, back to back."""
    conversation: int | None = None
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
        for n in range(writes):
            _post(client, results, "ticket creation", "/api/v1/tickets",
                  {"subject": f"Client {number} request {n}: the printer on floor {n % 5} jams"})
            if conversation is None:
                question = f"{QUESTIONS[number % len(QUESTIONS)]} (client {number})"
                started = _post(client, results, "chat turn", "/api/v1/conversations", {"message": question})
                conversation = started.json()["id"] if started is not None and started.status_code == 201 else None
            else:
                _post(client, results, "chat turn", f"/api/v1/conversations/{conversation}/messages",
                      {"body": "no" if n == 1 else f"Still not working, turn {n} of client {number}"})


def drive(url: str, tokens: list[str], writes: int) -> tuple[Results, float]:
    """All clients at once (one token each); the results and the wall time in seconds."""
    results = Results()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        for future in [pool.submit(write, url, token, n, writes, results) for n, token in enumerate(tokens)]:
            future.result()
    return results, time.perf_counter() - started


def report(database: str, results: Results, wall: float) -> int:
    """Print the table; the number of failed requests."""
    print(f"\n{database}: {wall:.1f} s wall\n")
    print("| operation | requests | errors | per s | p50 ms | p95 ms |\n|---|---:|---:|---:|---:|---:|")
    failed = 0
    for name in OPERATIONS:
        values, errors = results.latency_ms[name], results.errors[name]
        failed += sum(errors.values())
        described = ", ".join(f"{count} × {what}" for what, count in errors.most_common()) or "0"
        print(f"| {name} | {len(values)} | {described} | {len(values) / wall:.1f} | {p(values, 50):.0f} | "
              f"{p(values, 95):.0f} |")
    return failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--writes", type=int, default=50, help="ticket creations and chat turns per client")
    parser.add_argument("--database-url", help="an existing database to use (default: SQLite in a temp dir)")
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="run on a throw-away database of this server")
    parser.add_argument("--no-demo", action="store_true", help="skip loading the Northwind demo (faster)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="deskpilot-writes-") as tmp, ExitStack() as stack:
        data_dir = Path(tmp)
        database_url = args.database_url or f"sqlite:///{data_dir / 'deskpilot.db'}"
        if args.postgres:
            database_url = stack.enter_context(postgres_database(args.postgres))
        tokens = [requester.token for requester in prepare(database_url, data_dir, args.clients,
                                                           demo=not args.no_demo)]
        print(f"driving {args.clients} clients × {args.writes} ticket creations and chat turns", flush=True)
        with served(database_url, data_dir, data_dir / "server.log") as (url, _pid):
            # One unmeasured conversation first: the process loads the KB index, models and embeddings lazily.
            converse(url, tokens[0], -1, 2, Stats())
            results, wall = drive(url, tokens, args.writes)
    return 1 if report(database_url.split(":", 1)[0], results, wall) else 0


if __name__ == "__main__":
    raise SystemExit(main())
