"""CPU of a conversation's first question, in-process, on the Northwind demo desk: the turn the chat load's ramp
brings at 13 a second.

The script prepares a temporary data directory as `chat_load.py` does (demo, KB index with its multilingual
vectors, one requester per conversation; SQLite), builds the AI runtime and warms it as the app does at start
(`warm_in_background`), answers a few unmeasured conversations, then starts `--conversations` conversations,
each with a first question (`flow.start`: conversation creation + the first message, committed), one after
another in this thread. Reported: process CPU time (user + system, every thread) per first question, and its
wall time, and those of a fresh process's first questions; with `--profile N`, the N costliest functions of the
measured questions by cumulative time (cProfile, this thread).

    PYTHONPATH=src .venv/bin/python benchmarks/first_question_cpu.py --conversations 40 --profile 30
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

from chat_load import QUESTIONS, add_requesters, prepare

from deskpilot.accounts import service as accounts
from deskpilot.accounts.principal import Principal
from deskpilot.config import Environment, Settings
from deskpilot.conversations import flow
from deskpilot.db import make_engine, session_factory, unit_of_work
from deskpilot.runtime import AiRuntime, build_runtime, chat_assistant, warm_in_background


def first_questions(runtime: AiRuntime, tokens: list[str], start: int,
                    profile: cProfile.Profile | None = None) -> list[tuple[float, float]]:
    """Each requester of `tokens` starts one conversation with a demo question; (CPU s, wall s) of each."""
    engine = make_engine(runtime.settings.database_url)
    sessions = session_factory(engine)
    costs = []
    for n, token in enumerate(tokens, start=start):
        with unit_of_work(sessions) as session:
            user = accounts.user_for_token(session, token=token)
            assert user is not None
            actor = Principal.of(user)
        cpu, wall = time.process_time(), time.perf_counter()
        if profile is not None:
            profile.enable()
        with unit_of_work(sessions) as session:
            flow.start(session, actor=actor, assistant=chat_assistant(runtime, session),
                       body=f"{QUESTIONS[n % len(QUESTIONS)]} (load {n})")
        if profile is not None:
            profile.disable()
        costs.append((time.process_time() - cpu, time.perf_counter() - wall))
    engine.dispose()
    return costs


def requesters_of(database_url: str, data_dir: Path, count: int) -> list[str]:
    """API tokens of `count` new requesters: on a desk prepared in `data_dir` (demo, index) if there is one,
    else on one prepared now."""
    if (data_dir / "deskpilot.db").exists():
        return [requester.token for requester in add_requesters(database_url, data_dir, count)]
    return [requester.token for requester in prepare(database_url, data_dir, count, demo=True)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=40, help="measured first questions (default 40)")
    parser.add_argument("--warm", type=int, default=8, help="unmeasured first questions before (default 8)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="print the N costliest functions of the measured questions (cProfile, cumulative)")
    parser.add_argument("--data-dir", type=Path,
                        help="prepare the desk here once and reuse it on later runs (new requesters each run), so "
                             "that two versions of the code are measured on the same desk")
    parser.add_argument("--profile-out", type=Path, help="with --profile, also save the profile here (pstats)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="deskpilot-first-question-") as tmp:
        data_dir = args.data_dir or Path(tmp)
        database_url = f"sqlite:///{data_dir / 'deskpilot.db'}"
        tokens = requesters_of(database_url, data_dir, args.warm + args.conversations)
        settings = Settings(environment=Environment.TEST, database_url=database_url, data_dir=data_dir,
                            requester_max_conversations_per_hour=0)
        runtime = build_runtime(settings)
        engine = make_engine(database_url)
        warm_in_background(runtime, session_factory(engine)).join()  # as the app does at start
        engine.dispose()
        warm = first_questions(runtime, tokens[:args.warm], 0)
        profile = cProfile.Profile() if args.profile else None
        costs = first_questions(runtime, tokens[args.warm:], args.warm, profile)
    print(f"\n$ {' '.join(sys.argv)}\n1-minute load average {os.getloadavg()[0]:.1f}; {len(costs)} first questions")
    print("\n| first question | mean ms | p50 ms | max ms |\n|---|---:|---:|---:|")
    for name, values in (("CPU (user + system, all threads)", [c * 1000 for c, _ in costs]),
                         ("wall", [w * 1000 for _, w in costs])):
        print(f"| {name} | {statistics.fmean(values):.1f} | {statistics.median(values):.1f} | {max(values):.1f} |")
    print("\nThe first questions a fresh process answers (after the start-up warm-up of the index and triage), "
          "CPU / wall ms: " + ", ".join(f"{c * 1000:.0f} / {w * 1000:.0f}" for c, w in warm[:4]))
    if profile is not None:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.profile)
        if args.profile_out:
            profile.dump_stats(args.profile_out)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
