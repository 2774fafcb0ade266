"""The `deskpilot` command line: one sub-module per command group, each with `register(subparsers)`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from deskpilot.cli import (
    admin,
    ai_switches,
    audit,
    backup,
    demo,
    directory,
    evaluate,
    jobs,
    kb,
    mail,
    privacy,
    replay,
    review,
    runbooks,
    train,
    worker,
)
from deskpilot.cli import connectors as connector_commands
from deskpilot.errors import DomainError

_GROUPS = [admin, ai_switches, audit, backup, demo, directory, evaluate, jobs, kb, mail, privacy, replay, review,
           runbooks, train, worker, connector_commands]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deskpilot", description="Self-hosted AI service desk.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in _GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(message)s")
    try:
        return int(args.func(args))
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
