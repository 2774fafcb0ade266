"""`deskpilot eval triage-desk`: the demo desk's own test set of natural requests, triaged as
POST /api/v1/triage does, on a fresh copy of the demo: first cold (taxonomy + KB, no history), then after
learning from the demo history, beside a TF-IDF + linear-SVM baseline trained on the same history."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from deskpilot.audit.keyring import configure_audit
from deskpilot.cli.context import database, load_settings
from deskpilot.demo.eval import TRIAGE_REQUESTS
from deskpilot.demo.loader import load_demo
from deskpilot.evaluation.triage_desk import DeskRequest, DeskScore, read_requests, score, triage_desk
from deskpilot.migrations import upgrade
from deskpilot.ml.baselines import TfidfSvmBaseline
from deskpilot.ml.embeddings import load_embedder
from deskpilot.sealed_storage import configure_sealing
from deskpilot.tickets.enums import Priority
from deskpilot.triage.engine import TriageEngine
from deskpilot.triage.training import history_examples, train_from_history

TARGETS = {"category_accuracy": 0.90, "band_accuracy": 0.85}


def _baseline(texts: list[str], categories: list[str], priorities: list[str],
              requests: list[DeskRequest]) -> DeskScore:
    category_model = TfidfSvmBaseline().train(texts, categories)
    priority_model = TfidfSvmBaseline().train(texts, priorities)

    def decide(request: DeskRequest) -> tuple[str | None, Priority]:
        text = f"{request.subject}\n{request.text}".strip()
        return category_model.predict([text])[0].label, Priority(priority_model.predict([text])[0].label)

    return score("baseline: TF-IDF + linear SVM on the demo history", requests, decide)


def run(requests: list[DeskRequest], progress: Any) -> list[DeskScore]:
    settings = load_settings()
    with tempfile.TemporaryDirectory(prefix="deskpilot-eval-") as directory:
        settings = settings.model_copy(update={"data_dir": Path(directory), "database_url": ""})
        configure_audit(settings)  # the copy's audit key lives in the temporary directory too
        configure_sealing(settings)  # and so does its encryption key
        progress("loading a fresh copy of the demo desk ...")
        upgrade(settings.resolved_database_url)
        embedder = load_embedder(settings.embedding_model)
        with database(settings) as session:
            load_demo(session)
            session.commit()
            engine = TriageEngine(settings, embedder)
            progress("cold start: triaging the test set ...")
            cold = triage_desk(session, engine, requests, name="ours, cold start (taxonomy + KB, no history)")
            progress("learning from the demo history ...")
            train_from_history(session, settings, embedder=embedder, promote=True, progress=progress)
            learned = triage_desk(session, engine, requests, name="ours, after the demo history")
            examples = history_examples(session)
            baseline = _baseline(examples.texts, examples.categories, examples.priorities, requests)
            session.rollback()
    return [cold, learned, baseline]


def cmd_eval_triage_desk(args: argparse.Namespace) -> int:
    requests = read_requests(args.requests)
    quiet = args.json
    scores = run(requests, lambda message: None if quiet else print(message, file=sys.stderr, flush=True))
    results = [s.as_json() for s in scores]
    report = {"requests": len(requests), "file": str(args.requests), "targets": TARGETS, "results": results}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{'':52} {'category':>9} {'band':>7} {'abstain':>8} {'p50 ms':>8}")
    for s in results:
        print(f"{s['name']:52} {s['category_accuracy']:9.3f} {s['band_accuracy']:7.3f} {s['abstain_rate']:8.3f} "
              f"{s['p50_ms']:8.1f}")
    print(f"targets: category >= {TARGETS['category_accuracy']}, band >= {TARGETS['band_accuracy']}; "
          f"{len(requests)} requests from {args.requests}")
    print(f"command: deskpilot eval triage-desk --requests {args.requests}")
    return 0


def register(eval_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = eval_sub.add_parser(
        "triage-desk", help="triage the demo desk's natural test requests: category and priority band",
        description="Loads a fresh demo desk in a temporary directory; nothing of the configured desk is touched.")
    parser.add_argument("--requests", type=Path, default=TRIAGE_REQUESTS, metavar="REQUESTS.yaml")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(func=cmd_eval_triage_desk)
