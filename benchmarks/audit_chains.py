"""Audited commits from concurrent writers on PostgreSQL: one audit chain beside several, in the same run.

    PYTHONPATH=src .venv/bin/python benchmarks/audit_chains.py [--writers 16] [--commits 150] [--chains 8] \
        [--rounds 3] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

K writer threads, each with its own connection, commit back to back: every transaction records two audit
events (a change's before and after, as a ticket update does) and commits, which seals them into a chain.
With one chain every commit waits for the one before it to finish sealing and committing; with several,
a commit takes a free chain. The configurations alternate for `--rounds` rounds on one throw-away database
(created, migrated and dropped); reported per configuration: commits, throughput and the commit latency
(p50/p95/max, the `commit()` call: seal, chain lock and WAL flush) over all rounds, the chains used, and
whether `audit verify` found every chain intact afterwards.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from chat_load import p, postgres_database
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from deskpilot.audit import lanes
from deskpilot.audit import service as audit
from deskpilot.audit.keyring import AuditKeyring, use_keyring
from deskpilot.audit.models import AuditEvent
from deskpilot.db import make_engine
from deskpilot.migrations import upgrade


@dataclass
class Round:
    latency_ms: list[float] = field(default_factory=list)
    wall: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _writer(engine: Engine, number: int, commits: int, start: threading.Barrier, result: Round) -> None:
    start.wait()
    mine: list[float] = []
    with Session(engine) as session:
        for n in range(commits):
            subject = number * 100_000 + n
            audit.record(session, actor_id=number, actor_name=f"agent{number}", action="ticket.update",
                         subject_type="ticket", subject_id=subject, before={"status": "new"},
                         after={"status": "open", "assignee": f"agent{number}"})
            audit.record(session, actor_id=number, actor_name=f"agent{number}", action="ticket.comment",
                         subject_type="ticket", subject_id=subject, after={"body": f"Looking at it ({n})"})
            started = time.perf_counter()
            session.commit()
            mine.append((time.perf_counter() - started) * 1000)
    with result.lock:
        result.latency_ms.extend(mine)


def run_round(engine: Engine, chains: int, writers: int, commits: int) -> Round:
    lanes.use_chains(chains)
    result, start = Round(), threading.Barrier(writers + 1)
    threads = [threading.Thread(target=_writer, args=(engine, n, commits, start, result)) for n in range(writers)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    result.wall = time.perf_counter() - began
    return result


def chains_used(engine: Engine) -> Counter[int]:
    with Session(engine) as session:
        rows = session.execute(select(AuditEvent.chain, func.count()).group_by(AuditEvent.chain)).all()
    return Counter({int(chain): int(count) for chain, count in rows})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--commits", type=int, default=150, help="commits per writer per round")
    parser.add_argument("--chains", type=int, default=8, help="the several-chains configuration")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
                        metavar="ADMIN_URL", help="the server to create the throw-away database on")
    args = parser.parse_args()
    configurations = (1, args.chains)
    rounds: dict[int, list[Round]] = {chains: [] for chains in configurations}
    with tempfile.TemporaryDirectory(prefix="deskpilot-audit-chains-") as tmp, \
            postgres_database(args.postgres) as url:
        use_keyring(AuditKeyring(secrets.token_hex(32).encode(), Path(tmp)))
        upgrade(url)
        engine = make_engine(url, pool_size=args.writers + 2, max_overflow=0)
        print(f"{args.writers} writers × {args.commits} commits (2 audit events each), {args.rounds} rounds of "
              f"1 and {args.chains} chains, alternating", flush=True)
        before: Counter[int] = Counter()
        for number in range(args.rounds):
            for chains in configurations:
                rounds[chains].append(run_round(engine, chains, args.writers, args.commits))
                after = chains_used(engine)
                spread = ", ".join(f"{c}: {after[c] - before[c]}" for c in sorted(after) if after[c] > before[c])
                print(f"round {number + 1}, {chains} chain(s): {rounds[chains][-1].wall:.1f} s; rows per chain "
                      f"{{{spread}}}", flush=True)
                before = after
        with Session(engine) as session:
            result = audit.verify(session)
        engine.dispose()
    print("\n| audit chains | commits | commits/s | commit p50 ms | commit p95 ms | commit max ms |\n"
          "|---:|---:|---:|---:|---:|---:|")
    for chains, results in rounds.items():
        latencies = [value for r in results for value in r.latency_ms]
        wall = sum(r.wall for r in results)
        print(f"| {chains} | {len(latencies)} | {len(latencies) / wall:.0f} | {p(latencies, 50):.1f} | "
              f"{p(latencies, 95):.1f} | {max(latencies):.1f} |")
    print(f"\naudit verify: {'intact' if result.ok else 'BROKEN'}, {result.checked} events in {len(before)} "
          f"chain(s), {len(result.problems)} problem(s)")
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
