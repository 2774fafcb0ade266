"""`deskpilot train triage` and `deskpilot models list | promote | rollback`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from deskpilot.cli.admin import Sub
from deskpilot.cli.context import database, load_settings
from deskpilot.evaluation.datasets import read_labelled
from deskpilot.ml.embeddings import load_embedder
from deskpilot.triage.engine import CATEGORY_COMPONENT, PRIORITY_COMPONENT, store
from deskpilot.triage.similar import TicketIndex
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
    embedder = load_embedder(settings.embedding_model)
    promote = not args.no_promote
    if args.csv:
        rows = read_labelled(Path(args.csv))
        trained = [train_component(settings, CATEGORY_COMPONENT, [r.text for r in rows], [r.label for r in rows],
                                   embedder=embedder, promote=promote, progress=_progress)]
    else:
        with database(settings) as session:
            trained = train_from_history(session, settings, embedder=embedder, promote=promote, progress=_progress)
            _progress("indexing resolved tickets for 'similar tickets'")
            TicketIndex(settings.index_dir / "tickets", embedder).refresh(session)
    _report(trained, promote)
    return 0


def cmd_models_list(args: argparse.Namespace) -> int:
    for version in store(load_settings(), args.component).list_versions():
        marker = "*" if version.active else " "
        metrics = ", ".join(f"{k} {v:.3f}" for k, v in version.metrics.items() if isinstance(v, float))
        print(f"{marker} {version.version}  {version.created_at}  {metrics}")
    return 0


def cmd_models_promote(args: argparse.Namespace) -> int:
    store(load_settings(), args.component).promote(args.version)
    print(f"{args.component}: {args.version} is active")
    return 0


def cmd_models_rollback(args: argparse.Namespace) -> int:
    version = store(load_settings(), args.component).rollback()
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
        if name == "promote":
            parser.add_argument("version")
        parser.set_defaults(func=func)
