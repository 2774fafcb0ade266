"""`deskpilot eval intents`: the chat's intent model cross-validated on its shipped phrasings, beside keywords."""

from __future__ import annotations

import argparse
import json
import sys

from deskpilot.config import get_settings
from deskpilot.errors import InvalidInput
from deskpilot.evaluation.intents import evaluate_intents, format_intent_report
from deskpilot.ml.embeddings import load_embedder


def _progress(message: str) -> None:
    print(f"[intents] {message}", file=sys.stderr, flush=True)


def register(eval_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = eval_sub.add_parser("intents", help="cross-validate the chat's intent model beside keyword lists",
                                 description="Stratified K-fold cross-validation on the phrasings shipped in "
                                 "conversations/intent_examples.yaml; each fold's model never sees its held-out "
                                 "phrasings. Prints accuracy, macro-F1 and F1 per intent, and p50 latency.")
    parser.add_argument("--folds", type=int, default=5, help="number of folds (default 5)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not 2 <= args.folds <= 20:
        raise InvalidInput("--folds must be between 2 and 20")
    embedder = load_embedder(get_settings().embedding_model)
    result = evaluate_intents(embedder, folds=args.folds, progress=_progress)
    print(json.dumps(result, indent=2) if args.json else format_intent_report(result))
    return 0
