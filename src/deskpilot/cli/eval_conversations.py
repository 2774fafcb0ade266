"""`deskpilot eval conversations`: replay opening messages and conversations through a desk's real chat API
and judge the kind of handling each got, beside a keyword baseline in the same run.

By default a throw-away Northwind demo desk is built in a temporary directory (`deskpilot demo --no-serve`:
migrate, load, train triage, index the KB) and served by uvicorn on a free loopback port; `--url` replays
against a running desk instead, with an admin's `--token` (or `--username`/`--password`).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from deskpilot.api.app import create_app
from deskpilot.config import Settings
from deskpilot.conversations.intents import training_examples
from deskpilot.demo import DEMO_DIR
from deskpilot.demo.loader import read_seed
from deskpilot.errors import InvalidInput
from deskpilot.evaluation.conversations_cases import DEV, TEST, read_cases
from deskpilot.evaluation.conversations_replay import CaseResult, replay, sign_in
from deskpilot.evaluation.conversations_report import phrasing_key, summarise

SHIPPED_CASES = DEMO_DIR / "eval" / "conversations.yaml"
DEMO_ADMIN = "sam.okafor"
START_SECONDS = 60


def register(eval_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = eval_sub.add_parser(
        "conversations",
        help="replay conversations through the chat API and judge their handling, beside a keyword baseline",
        description="Without --url a throw-away demo desk is built and served (a few minutes). With --url, "
        "give an admin's --token or --username and --password: one requester is created per case.",
    )
    parser.add_argument("--cases", type=Path, default=SHIPPED_CASES, metavar="FILE",
                        help="the replay set (YAML; default: the shipped Northwind set)")
    parser.add_argument("--url", help="the base URL of a running desk (default: build a throw-away demo desk)")
    parser.add_argument("--token", help="an admin's API token for --url")
    parser.add_argument("--username", help="an admin's username for --url (instead of --token)")
    parser.add_argument("--password", help="that admin's password")
    parser.add_argument("--split", choices=(DEV, TEST),
                        help="replay only one half of the cases (`dev`: the half whose failures are read while "
                        "improving the assistant; default: both)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cases = [c for c in read_cases(args.cases) if args.split in (None, c.split)]
    _progress(f"{len(cases)} cases from {args.cases}" + (f" ({args.split} half)" if args.split else ""))
    if args.url:
        token = args.token or _signed_in(args)
        results = replay(args.url.rstrip("/"), token, cases, _case_done)
    else:
        with _throwaway_desk() as (url, token):
            results = replay(url, token, cases, _case_done)
    texts, _ = training_examples()
    report = summarise(results, training_phrasings=frozenset(phrasing_key(text) for text in texts))
    print(json.dumps(report, indent=2, ensure_ascii=False) if args.json else _table(report))
    return 0


def _signed_in(args: argparse.Namespace) -> str:
    if not (args.username and args.password):
        raise InvalidInput("with --url give an admin's --token, or --username and --password")
    return sign_in(args.url.rstrip("/"), username=args.username, password=args.password)


def _progress(message: str) -> None:
    print(f"[conversations] {message}", file=sys.stderr, flush=True)


def _case_done(number: int, total: int, result: CaseResult) -> None:
    mark = "ok " if result.verdict.right else "BAD"
    _progress(f"{number}/{total} {mark} {result.case.id}: expected {result.case.expect}, "
              f"got {result.verdict.observed}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _serving(settings: Settings) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_SECONDS
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise InvalidInput(f"the throw-away desk did not start on port {port} within {START_SECONDS} s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def _throwaway_desk() -> Iterator[tuple[str, str]]:
    """The Northwind demo desk built by `deskpilot demo --no-serve` in a temporary directory, served on
    loopback; yields its URL and the demo admin's token. Nothing is left behind."""
    with tempfile.TemporaryDirectory(prefix="deskpilot-eval-") as folder:
        data_dir = Path(folder) / "var"
        database_url = f"sqlite:///{data_dir / 'deskpilot.db'}"
        # The demo command is run as it is shipped, pointed at the temporary desk by its own settings.
        child_env: dict[str, Any] = {**os.environ, "DESKPILOT_DATA_DIR": str(data_dir),
                                     "DESKPILOT_DATABASE_URL": database_url}
        _progress(f"building the throw-away demo desk in {folder} (migrate, load, train triage, index the KB)")
        built = subprocess.run([sys.executable, "-m", "deskpilot.cli", "demo", "--no-serve"], cwd=folder,
                               env=child_env, stdout=sys.stderr, stderr=sys.stderr, check=False)
        if built.returncode != 0:
            raise InvalidInput(f"building the demo desk failed (exit {built.returncode}); see the output above")
        with _serving(Settings(database_url=database_url, data_dir=data_dir)) as url:
            _progress(f"the demo desk is served at {url}")
            yield url, sign_in(url, username=DEMO_ADMIN, password=str(read_seed()["demo_password"]))


def _cell(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def _table(report: dict[str, Any]) -> str:
    lines = [f"end-to-end conversations: {report['cases']} cases ({report['opening_cases']} opening messages, "
             f"{report['multi_turn_cases']} multi-turn), {report['turns']} chat turns",
             f"handled_right {_cell(report['handled_right'])}   resolved_without_human "
             f"{_cell(report['resolved_without_human'])}   answer_precision {_cell(report['answer_precision'])}   "
             f"turn p50/p95 {_cell(report['latency_ms_p50'])}/{_cell(report['latency_ms_p95'])} ms",
             f"opening messages: ours {_cell(report['baseline']['opening_handled_right_ours'])}   "
             f"baseline ({report['baseline']['name']}) {_cell(report['baseline']['handled_right'])}",
             f"{'intent / kind':<26} {'cases':>6} {'ours':>7} {'opening':>8} {'ours':>7} {'baseline':>9}"]
    for title in ("by_kind", "by_intent", "by_split", "by_training_overlap"):
        lines.append(f"-- {title}")
        for name, row in report[title].items():
            lines.append(f"{name:<26} {row['cases']:>6} {_cell(row['handled_right']):>7} {row['opening_cases']:>8} "
                         f"{_cell(row['opening_handled_right']):>7} {_cell(row['baseline_handled_right']):>9}")
    lines.append(f"{len(report['failures'])} cases handled the wrong way (ids in --json `failures`)")
    return "\n".join(lines)
