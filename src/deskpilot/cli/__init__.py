"""The `deskpilot` command line: one sub-module per command group, each with `register(subparsers)`.

`deskpilot X` imports only the module that registers X: the others load models, the web app and the ITSM
clients, seconds that a cron job, a script or a test running one command need not pay. `deskpilot --help` (or
a command nobody registers) loads them all, so the help and the error list every command."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from deskpilot.errors import DomainError

# Each command and the module (deskpilot.cli.<module>) that registers it; tests/cli/test_command_modules.py
# checks the table against what the modules register.
COMMANDS: dict[str, str] = {
    "init": "admin", "serve": "admin", "users": "admin", "sla": "admin",
    "ai": "ai_switches", "pilot": "ai_switches",
    "audit": "audit",
    "backup": "backup", "restore": "backup",
    "connectors": "connectors",
    "demo": "demo",
    "directory": "directory",
    "eval": "evaluate",
    "jobs": "jobs",
    "kb": "kb",
    "mail": "mail",
    "privacy": "privacy",
    "replay": "replay",
    "review": "review", "kb-changes": "review",
    "runbooks": "runbooks",
    "train": "train", "models": "train",
    "worker": "worker",
}


def _command_of(argv: Sequence[str]) -> str | None:
    """The command word of `argv` (the first argument that is not an option), if any."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of `command` alone when it is known, else of every command."""
    parser = argparse.ArgumentParser(prog="deskpilot", description="Self-hosted AI service desk.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    modules = [COMMANDS[command]] if command in COMMANDS else sorted(set(COMMANDS.values()))
    for module in modules:
        importlib.import_module(f"deskpilot.cli.{module}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(_command_of(arguments)).parse_args(arguments)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(message)s")
    try:
        return int(args.func(args))
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
