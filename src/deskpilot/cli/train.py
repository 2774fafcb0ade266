"""`deskpilot train triage` and `deskpilot models list | promote | rollback`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.principal import Principal
from deskpilot.assist.spans import RememberingEmbedder, UnitVectors
from deskpilot.cli.admin import Sub
from deskpilot.cli.context import database, load_settings
from deskpilot.errors import NotFound
from deskpilot.evaluation.datasets import read_labelled
from deskpilot.governance import promotion
from deskpilot.governance.report import format_report
from deskpilot.ml.embeddings import load_embedder
from deskpilot.triage.engine import CATEGORY_COMPONENT, PRIORITY_COMPONENT, store
from deskpilot.triage.similar import TicketIndex, TicketVectors
from deskpilot.triage.training import TrainedVersion, train_component, train_from_history


def _progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def _report(trained: list[TrainedVersion], promoted: bool) -> None:
    for item in trained:
        metrics = ", ".join(f"{k} {v:.3f}" for k, v in item.metrics.items() if isinstance(v, float))
        state = "active" if promoted else "stored (promote with `deskpilot models promote`)"
        print(f"{item.component} {item.version}: {item.examples} examples; cross-validated {metrics}; {state}")


def cmd_train_triage(args: argparse.Namespace) -> int:
    settings = load_settings()
    # Training, its cold-start comparison and the similar-tickets index all embed the same tickets: once here.
    embedder = RememberingEmbedder(UnitVectors(load_embedder(settings.embedding_model)))
    # Once a category model is live, a new one goes live only through the replay gate (below), never directly.
    gated = not args.no_promote and store(settings, CATEGORY_COMPONENT).active_version() is not None
    promote = not args.no_promote and not gated
    if args.csv:
        rows = read_labelled(Path(args.csv))
        trained = [train_component(settings, CATEGORY_COMPONENT, [r.text for r in rows], [r.label for r in rows],
                                   embedder=embedder, promote=promote, progress=_progress)]
    else:
        with database(settings) as session:
            trained = train_from_history(session, settings, embedder=embedder, promote=promote, progress=_progress)
            _progress("indexing resolved tickets for 'similar tickets'")
            TicketIndex(settings.index_dir / "tickets", TicketVectors(embedder)).refresh(session)
    _report(trained, promote)
    if gated:
        with database(settings) as session:
            done = promotion.promote(session, actor=Principal.system("cli"), settings=settings, embedder=embedder,
                                     component=CATEGORY_COMPONENT, version=trained[0].version)
        if done.replay is not None:
            print(format_report(done.replay.id, done.replay.report))
        print(f"{CATEGORY_COMPONENT}: {done.version} is active")
    return 0


def cmd_models_list(args: argparse.Namespace) -> int:
    for version in store(load_settings(), args.component).list_versions():
        marker = "*" if version.active else " "
        metrics = ", ".join(f"{k} {v:.3f}" for k, v in version.metrics.items() if isinstance(v, float))
        print(f"{marker} {version.version}  {version.created_at}  {metrics}")
    return 0


def _actor(session: Session, username: str | None) -> Principal:
    """The lead or admin a promotion is recorded for (`--by`), or the CLI itself."""
    if not username:
        return Principal.system("cli")
    user = accounts.get_by_username(session, username=username)
    if user is None:
        raise NotFound(f"No user {username!r}.")
    return Principal.of(user)


def cmd_models_promote(args: argparse.Namespace) -> int:
    settings = load_settings()
    with database(settings) as session:
        done = promotion.promote(session, actor=_actor(session, args.by), settings=settings,
                                 embedder=load_embedder(settings.embedding_model), component=args.component,
                                 version=args.version, override_reason=args.override_reason)
    if done.replay is not None:
        print(format_report(done.replay.id, done.replay.report))
    if done.replay is not None and not done.replay.passed:
        print(f"{args.component}: {args.version} is active, overriding the replay gate: {done.override_reason}")
    else:
        print(f"{args.component}: {args.version} is active")
    return 0


def cmd_models_rollback(args: argparse.Namespace) -> int:
    settings = load_settings()
    with database(settings) as session:
        version = promotion.rollback(session, actor=_actor(session, args.by), settings=settings,
                                     component=args.component)
    print(f"{args.component}: rolled back to {version}")
    return 0


def register(sub: Sub) -> None:
    train = sub.add_parser("train", help="train AI components").add_subparsers(dest="train_cmd", required=True)
    triage = train.add_parser("triage", help="train triage from resolved tickets (or a CSV text,label)")
    triage.add_argument("--csv", help="train the category model from this CSV instead of the database")
    triage.add_argument("--no-promote", action="store_true", help="store the new version without activating it")
    triage.set_defaults(func=cmd_train_triage)

    models = sub.add_parser("models", help="list, promote or roll back model versions").add_subparsers(
        dest="models_cmd", required=True)
    for name, func, help_text in (("list", cmd_models_list, "list versions (* = active)"),
                                  ("promote", cmd_models_promote, "make a version active"),
                                  ("rollback", cmd_models_rollback, "re-activate the previous version")):
        parser = models.add_parser(name, help=help_text)
        parser.add_argument("--component", default=CATEGORY_COMPONENT,
                            choices=[CATEGORY_COMPONENT, PRIORITY_COMPONENT])
        parser.add_argument("--by", help="the lead or admin to record as the actor (default: cli)")
        if name == "promote":
            parser.add_argument("version")
            parser.add_argument("--override-reason", help="promote although the replay gate refuses; audited")
        parser.set_defaults(func=func)
