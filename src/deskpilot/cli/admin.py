"""`deskpilot init | serve | users ... | sla sweep`."""

from __future__ import annotations

import argparse
from typing import TypeAlias

from pydantic import ValidationError

from deskpilot.accounts import service as accounts
from deskpilot.accounts.models import Role
from deskpilot.accounts.principal import Principal
from deskpilot.accounts.schemas import UserCreate
from deskpilot.cli.audit import report_checkpoint
from deskpilot.cli.context import database, load_settings
from deskpilot.clock import utcnow
from deskpilot.errors import InvalidInput, NotFound
from deskpilot.migrations import upgrade
from deskpilot.tickets.escalation import sweep

Sub: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def cmd_init(_: argparse.Namespace) -> int:
    settings = load_settings()
    upgrade(settings.resolved_database_url)
    print(f"database ready: {settings.resolved_database_url.split('@')[-1]}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from deskpilot.api.app import create_app

    settings = load_settings()
    upgrade(settings.resolved_database_url)
    report_checkpoint(settings)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


def cmd_users_create(args: argparse.Namespace) -> int:
    try:
        data = UserCreate(username=args.username, email=args.email, full_name=args.full_name or args.username,
                          role=Role(args.role), password=args.password)
    except ValidationError as exc:
        raise InvalidInput("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from exc
    with database(load_settings()) as session:
        user = accounts.create(session, actor=Principal.system("cli"), data=data)
        print(f"created user {user.username} (id {user.id}, {user.role})")
    return 0


def cmd_users_token(args: argparse.Namespace) -> int:
    with database(load_settings()) as session:
        user = accounts.get_by_username(session, username=args.username)
        if user is None:
            raise NotFound(f"No user {args.username!r}; create one with `deskpilot users create`.")
        _, secret = accounts.issue_token(session, actor=Principal.system("cli"), user_id=user.id, name=args.name)
        print(secret)
    return 0


def cmd_users_list(_: argparse.Namespace) -> int:
    with database(load_settings()) as session:
        users, _total = accounts.get_all(session, actor=Principal.system("cli"), limit=200)
        for user in users:
            print(f"{user.username:24} {user.role:10} {user.email}")
    return 0


def cmd_sla_sweep(_: argparse.Namespace) -> int:
    settings = load_settings()
    with database(settings) as session:
        report = sweep(session, now=utcnow())
    print(f"checked {report.checked} open tickets: {len(report.near_breach)} near breach, "
          f"{len(report.breached)} breached, {report.notices} escalation notice(s) raised")
    report_checkpoint(settings)
    return 0


def register(sub: Sub) -> None:
    sub.add_parser("init", help="create or migrate the database").set_defaults(func=cmd_init)
    serve = sub.add_parser("serve", help="serve the web app and API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_serve)

    users = sub.add_parser("users", help="manage users and API tokens").add_subparsers(dest="users_cmd",
                                                                                      required=True)
    create = users.add_parser("create", help="create a user")
    create.add_argument("username")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--full-name")
    create.add_argument("--password", help="omit for a token-only account")
    create.set_defaults(func=cmd_users_create)
    token = users.add_parser("token", help="issue an API token for a user (printed once)")
    token.add_argument("username")
    token.add_argument("--name", default="cli")
    token.set_defaults(func=cmd_users_token)
    users.add_parser("list", help="list users").set_defaults(func=cmd_users_list)

    sla = sub.add_parser("sla", help="SLA jobs").add_subparsers(dest="sla_cmd", required=True)
    sla.add_parser("sweep", help="detect near-breach/breach and escalate").set_defaults(func=cmd_sla_sweep)
