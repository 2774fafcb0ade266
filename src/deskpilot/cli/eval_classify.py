"""`deskpilot eval classify`: train on TRAIN only, measure on TEST (or K-fold CV), ours beside baseline."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from deskpilot.config import get_settings
from deskpilot.errors import InvalidInput
from deskpilot.evaluation.classify import (
    ClassifierScores,
    ClassifyReport,
    check_labelled,
    evaluate_cross_validation,
    evaluate_shots,
    evaluate_split,
)
from deskpilot.evaluation.datasets import read_labelled
from deskpilot.ml.embeddings import Embedder, load_embedder

_ROWS = [
    ("accuracy", "{:.4f}"),
    ("macro_f1", "{:.4f}"),
    ("in_scope_accuracy", "{:.4f}"),
    ("oos_recall", "{:.4f}"),
    ("train_seconds", "{:.1f}"),
    ("predict_per_second", "{:.0f}"),
    ("p50_ms", "{:.2f}"),
    ("p99_ms", "{:.2f}"),
]


def register(eval_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = eval_sub.add_parser(
        "classify",
        help="train the triage classifier and its TF-IDF + linear-SVM baseline, compare them",
        description="CSV files need a header with text,label. Thresholds are chosen by cross-validation "
        "on --train only. Give --test, or --cv K to cross-validate on --train.",
    )
    parser.add_argument("--train", type=Path, required=True, metavar="TRAIN.csv")
    parser.add_argument("--test", type=Path, metavar="TEST.csv")
    parser.add_argument("--cv", type=int, metavar="K", help="K-fold cross-validation on --train (no --test)")
    parser.add_argument("--shots", type=int, metavar="K",
                        help="cold start (needs --test): train on K examples per label of --train plus label "
                        "descriptions derived from the label names; 0 = the names only")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if (args.test is None) == (args.cv is None):
        raise InvalidInput("give either --test TEST.csv or --cv K (K-fold cross-validation on --train)")
    train = read_labelled(args.train)
    check_labelled(train, source=str(args.train))
    if args.shots is not None and args.test is None:
        raise InvalidInput("--shots K needs --test TEST.csv (the cold start is measured on a test split)")
    if args.test is not None:
        test = read_labelled(args.test)
        check_labelled(test, source=str(args.test))
        if args.shots is not None:
            report = evaluate_shots(train, test, shots=args.shots, embedder=_embedder(), progress=_progress)
        else:
            report = evaluate_split(train, test, embedder=_embedder(), progress=_progress)
    else:
        report = evaluate_cross_validation(train, folds=args.cv, embedder=_embedder(), progress=_progress)
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        print(_table(report, args))
    return 0


def _embedder() -> Embedder:
    return load_embedder(get_settings().embedding_model)


def _progress(message: str) -> None:
    print(f"[classify] {message}", file=sys.stderr, flush=True)


def _cell(scores: ClassifierScores, key: str, pattern: str) -> str:
    value = getattr(scores, key)
    return "-" if value is None else pattern.format(value)


def _table(report: ClassifyReport, args: argparse.Namespace) -> str:
    where = f"{report.cv_folds}-fold CV on {args.train}" if report.cv_folds else f"{args.train} -> {args.test}"
    if report.shots is not None:
        where += f", cold start with {report.shots} example(s) per label"
    lines = [
        f"triage classification: {where} ({report.train_rows} train / {report.test_rows} test rows, "
        f"{report.labels} labels)",
        f"{'metric':<20} {'ours':>12} {'baseline':>12}",
    ]
    for key, pattern in _ROWS:
        if report.ours.in_scope_accuracy is None and key in ("in_scope_accuracy", "oos_recall"):
            continue
        lines.append(f"{key:<20} {_cell(report.ours, key, pattern):>12} {_cell(report.baseline, key, pattern):>12}")
    lines += _legend(report.shots)
    return "\n".join(lines)


def _legend(shots: int | None) -> list[str]:
    if shots == 0:
        return ["ours: cold-start prototypes, the label descriptions (from the names) as MiniLM sentence vectors",
                "baseline: lexical label-name match (most shared word stems; none shared = abstain)"]
    described = "" if shots is None else " (the K examples + one label description per label)"
    return [f"ours: MiniLM sentence vectors + TF-IDF word/char n-grams, linear SVM, calibrated on train CV{described}",
            f"baseline: TF-IDF word 1-2 + char_wb 2-5 grams, linear SVM (C=1), no sentence vectors{described}"]
