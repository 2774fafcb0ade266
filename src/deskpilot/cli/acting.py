"""Who a privileged CLI command acts as: `--as USER`, proven with the user's password or one of their API tokens
(runbook approvals and runs, erasure requests and approvals); without `--as`, the CLI itself."""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy.orm import Session

from deskpilot.accounts import login
from deskpilot.accounts import service as accounts
from deskpilot.accounts.principal import Principal
from deskpilot.config import Settings
from deskpilot.errors import NotAuthenticated

CLI = Principal.system("cli")
CLI_CLIENT = "cli"
AS_HELP = ("act as this user, recorded in the audit log; they must prove it: their password is asked for (or read "
           "from stdin with --password-stdin), or one of their API tokens is read from stdin with --token-stdin")


def authenticated_actor(session: Session, settings: Settings, args: argparse.Namespace) -> Principal:
    """The named user, once authenticated, as the actor (so approvals and runs are recorded by the person who
    proved who they are), else the CLI itself. A name alone proves nothing: anyone at a shell could give any."""
    username: str | None = args.as_user
    if not username:
        return CLI
    if args.token_stdin:
        user = accounts.user_for_token(session, token=sys.stdin.readline().strip())
        if user is None or user.username != username.lower():
            raise NotAuthenticated(f"That API token is not a live token of {username}.")
    else:
        password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else \
            getpass.getpass(f"Password for {username}: ")
        user = login.authenticate(session, username=username, password=password, client=CLI_CLIENT,
                                  per_account=settings.login_attempts_per_minute,
                                  per_client=settings.login_attempts_per_client_per_minute)
    return Principal.of(user)


def add_actor_args(parser: argparse.ArgumentParser, *, required: bool = False, who: str = "") -> None:
    parser.add_argument("--as", dest="as_user", required=required, help=(who + "; " if who else "") + AS_HELP)
    proof = parser.add_mutually_exclusive_group()
    proof.add_argument("--password-stdin", action="store_true", help="read the --as user's password from stdin")
    proof.add_argument("--token-stdin", action="store_true", help="read an API token of the --as user from stdin")
