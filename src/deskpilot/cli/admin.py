"""`deskpilot init | serve | users ... | sla sweep`."""

from __future__ import annotations

import argparse
import sys
from typing import TypeAlias

from pydantic import ValidationError
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import User
from deskpilot.accounts.principal import Principal
from deskpilot.accounts.schemas import UserCreate, UserUpdate
from deskpilot.cli.audit import report_checkpoint
from deskpilot.cli.context import database, load_settings
from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.db import server_slots
from deskpilot.errors import InvalidInput, NotFound
from deskpilot.migrations import upgrade
from deskpilot.tickets.escalation import sweep

Sub: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def cmd_init(_: argparse.Namespace) -> int:
    settings = load_settings()
    upgrade(settings.resolved_database_url)
    print(f"database ready: {settings.resolved_database_url.split('@')[-1]}")
    return 0


WORKER_HEALTHCHECK_SECONDS = 60


def _positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def check_connection_budget(settings: Settings, *, processes: int) -> None:
    """InvalidInput when `processes` app processes, each allowed DESKPILOT_DB_POOL_SIZE + DESKPILOT_DB_MAX_OVERFLOW
    connections, could ask PostgreSQL for more than it accepts: a burst would then be answered "too many
    clients", each such request a 503, while every pool sits below its own limit."""
    url = settings.resolved_database_url
    if not url.startswith("postgresql"):
        return
    per_process = settings.db_pool_size + settings.db_max_overflow
    slots = server_slots(url)
    if processes * per_process > slots:
        raise InvalidInput(
            f"{processes} app process(es) × {per_process} connections each (DESKPILOT_DB_POOL_SIZE "
            f"{settings.db_pool_size} + DESKPILOT_DB_MAX_OVERFLOW {settings.db_max_overflow}) could ask the database "
            f"for {processes * per_process}, more than the {slots} it accepts (max_connections less the superuser "
            "slots), beside the worker's and the mail listener's. Lower the pool settings (and "
            "DESKPILOT_HTTP_CONCURRENCY below them), run fewer processes, or raise max_connections.")


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from deskpilot.api.app import create_app

    settings = load_settings()
    upgrade(settings.resolved_database_url)
    check_connection_budget(settings, processes=args.workers)
    report_checkpoint(settings)
    # proxy_headers off: X-Forwarded-For is believed only from DESKPILOT_TRUSTED_PROXIES (see accounts.login).
    if args.workers == 1:
        uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info", proxy_headers=False)
        return 0
    if settings.resolved_database_url.startswith("sqlite"):
        raise InvalidInput("Several app processes need PostgreSQL (DESKPILOT_DATABASE_URL): SQLite serialises every "
                           "write of every process; run one process (--workers 1) on SQLite.")
    # Each worker process builds its own app (and AI runtime) from the environment; they share nothing but the
    # database, which is where every change they must all see lives (docs/production.md).
    # uvicorn kills and restarts a process that does not answer its supervisor's ping within the health-check
    # timeout (5 s by default): on a busy machine a process embedding or classifying misses it, is killed with its
    # requests in flight, and spends minutes importing again (the load benchmark saw 41 such kills in 10 minutes).
    uvicorn.run("deskpilot.api.app:create_app", factory=True, workers=args.workers, host=args.host, port=args.port,
                log_level="info", proxy_headers=False, timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS)
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


def _user_named(session: Session, username: str) -> User:
    user = accounts.get_by_username(session, username=username)
    if user is None:
        raise NotFound(f"No user {username!r}; create one with `deskpilot users create`.")
    return user


def cmd_users_token(args: argparse.Namespace) -> int:
    settings = load_settings()
    with database(settings) as session:
        user = _user_named(session, args.username)
        token, secret = accounts.issue_token(session, actor=Principal.system("cli"), user_id=user.id,
                                             name=args.name, expires_in_days=args.expires_in_days
                                             or settings.api_token_days)
        print(f"token {token.id} ({token.name}) for {user.username}, expires {token.expires_at:%Y-%m-%d %H:%M} UTC;"
              " shown this once:", file=sys.stderr)
        print(secret)
    return 0


def cmd_users_tokens(args: argparse.Namespace) -> int:
    with database(load_settings()) as session:
        user = _user_named(session, args.username)
        tokens = accounts.get_tokens(session, actor=Principal.system("cli"), user_id=user.id)
        now = utcnow()
        print(f"{'ID':>6}  {'NAME':24} {'STATUS':8} {'CREATED':16} {'EXPIRES':16} LAST USED")
        for t in tokens:
            state = "revoked" if t.revoked else "active" if t.is_live(now) else "expired"
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
            print(f"{t.id:>6}  {t.name[:24]:24} {state:8} {t.created_at:%Y-%m-%d %H:%M} "
                  f"{t.expires_at:%Y-%m-%d %H:%M} {used}")
    return 0


def cmd_users_revoke_token(args: argparse.Namespace) -> int:
    with database(load_settings()) as session:
        user = _user_named(session, args.username)
        token = accounts.revoke_token(session, actor=Principal.system("cli"), user_id=user.id,
                                      token_id=args.token_id)
        print(f"revoked token {token.id} ({token.name}) of {user.username}")
    return 0


def cmd_users_set_active(args: argparse.Namespace) -> int:
    active = args.users_cmd == "activate"
    with database(load_settings()) as session:
        user = _user_named(session, args.username)
        accounts.update(session, actor=Principal.system("cli"), user_id=user.id, data=UserUpdate(is_active=active))
        print(f"{user.username} is {'active' if active else 'deactivated: sessions ended, tokens revoked'}")
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
    print(report.summary())
    report_checkpoint(settings)
    return 0


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """What `cmd_serve` reads: `serve` and `demo`, which serves the same way once its data is loaded."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=_positive, default=1,
                        help="app processes behind the port (PostgreSQL only); or run one per port behind a proxy")


def register(sub: Sub) -> None:
    sub.add_parser("init", help="create or migrate the database").set_defaults(func=cmd_init)
    serve = sub.add_parser("serve", help="serve the web app and API")
    add_serve_arguments(serve)
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
    token.add_argument("--expires-in-days", type=int, help="days the token is valid (default: the setting "
                       "DESKPILOT_API_TOKEN_DAYS)")
    token.set_defaults(func=cmd_users_token)
    tokens = users.add_parser("tokens", help="list a user's API tokens with expiry and last use")
    tokens.add_argument("username")
    tokens.set_defaults(func=cmd_users_tokens)
    revoke = users.add_parser("revoke-token", help="revoke one of a user's API tokens")
    revoke.add_argument("username")
    revoke.add_argument("token_id", type=int)
    revoke.set_defaults(func=cmd_users_revoke_token)
    for verb, text in (("deactivate", "deactivate a user: end their sessions, revoke their tokens"),
                       ("activate", "reactivate a user (old sessions and tokens stay ended)")):
        set_active = users.add_parser(verb, help=text)
        set_active.add_argument("username")
        set_active.set_defaults(func=cmd_users_set_active)
    users.add_parser("list", help="list users").set_defaults(func=cmd_users_list)

    sla = sub.add_parser("sla", help="SLA jobs").add_subparsers(dest="sla_cmd", required=True)
    sla.add_parser("sweep", help="detect near-breach/breach and escalate").set_defaults(func=cmd_sla_sweep)
