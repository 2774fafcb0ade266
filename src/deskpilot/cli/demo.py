"""`deskpilot demo`: migrate, load the Northwind demo, print the sign-ins, and serve."""

from __future__ import annotations

import argparse

from deskpilot.cli.admin import Sub, add_serve_arguments, cmd_serve
from deskpilot.cli.context import database, load_settings
from deskpilot.cli.kb import cmd_kb_reindex
from deskpilot.cli.train import cmd_train_triage
from deskpilot.demo.loader import load_demo
from deskpilot.kb import indexing
from deskpilot.migrations import upgrade
from deskpilot.ml.embeddings import load_embedder
from deskpilot.triage.engine import TriageEngine


def cmd_demo(args: argparse.Namespace) -> int:
    settings = load_settings()
    print("preparing the database ...", flush=True)
    upgrade(settings.resolved_database_url)
    print("loading the Northwind demo (users, queues, SLA policies, ticket history) ...", flush=True)
    with database(settings) as session:
        summary = load_demo(session)
    print(f"demo ready: {summary.users} new users, {summary.tickets} new historical tickets")
    if TriageEngine(settings, load_embedder(settings.embedding_model)).models().category is None:
        print("training triage on the demo history (first run, or after an incompatible upgrade) ...",
              flush=True)
        cmd_train_triage(argparse.Namespace(csv=None, no_promote=False))
    if not indexing.index_path(settings.index_dir).exists():
        print("indexing the approved knowledge base for grounded answers (first run only) ...", flush=True)
        cmd_kb_reindex(argparse.Namespace(queue=False))
    print(f"\nSign in at http://{args.host}:{args.port}/ (API docs at /docs) with password "
          f"{summary.password!r} as any of:")
    for username, role in summary.logins:
        print(f"  {username:18} {role}")
    if not settings.mail_smtp_host:
        print(f"\nNo SMTP server is configured: mail such as self-service password reset codes is written to "
              f"{settings.mail_drop_dir}/ (newest file last).")
    if args.no_serve:
        return 0
    print()
    return cmd_serve(args)


def register(sub: Sub) -> None:
    demo = sub.add_parser("demo", help="load the demo data and serve it")
    add_serve_arguments(demo)
    demo.add_argument("--no-serve", action="store_true", help="load the demo and exit")
    demo.set_defaults(func=cmd_demo)
