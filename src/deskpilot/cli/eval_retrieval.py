"""`deskpilot eval retrieve`, `eval answers` and `eval multilingual`: KB search and grounded answers on a dataset."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from deskpilot.config import get_settings
from deskpilot.demo import KB_DIR
from deskpilot.errors import InvalidInput
from deskpilot.evaluation.answers import evaluate_answers, format_answer_report
from deskpilot.evaluation.multilingual import evaluate_multilingual, format_report
from deskpilot.evaluation.retrieval import evaluate_retrieval, format_table
from deskpilot.ml.embeddings import load_embedder
from deskpilot.ml.multilingual import MODEL_ID as MULTILINGUAL_MODEL_ID
from deskpilot.ml.multilingual import load_multilingual_embedder


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def register(eval_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    retrieve = eval_sub.add_parser("retrieve", help="rank KB articles for queries; ours beside plain BM25")
    retrieve.add_argument("--corpus", type=Path, required=True, help="CSV doc_id,title,text")
    retrieve.add_argument("--queries", type=Path, required=True, help="CSV query_id,text,doc_id[,context]")
    retrieve.add_argument("--history", type=Path, help="past questions CSV (same format) to learn from")
    retrieve.add_argument("--json", action="store_true", help="print one JSON object")
    retrieve.set_defaults(func=_run_retrieve)

    answers = eval_sub.add_parser("answers", help="compose grounded answers and score them (token F1)")
    answers.add_argument("--corpus", type=Path, required=True, help="CSV doc_id,title,text")
    answers.add_argument("--queries", type=Path, required=True, help="CSV query_id,text,doc_id[,context]")
    answers.add_argument("--answers", type=Path, required=True, help="CSV query_id,answer_text")
    answers.add_argument(
        "--abstain-below", type=float, help="confidence threshold (default: DESKPILOT_ANSWER_ABSTAIN_BELOW)"
    )
    answers.add_argument("--json", action="store_true", help="print one JSON object")
    answers.set_defaults(func=_run_answers)

    multilingual = eval_sub.add_parser(
        "multilingual", help="questions in other languages on a KB: multilingual search beside the English baseline")
    multilingual.add_argument("--questions", type=Path, required=True, help="CSV language,text,slug (empty: off topic)")
    multilingual.add_argument("--kb", type=Path, default=KB_DIR, help="folder of articles (default: the demo KB)")
    multilingual.add_argument("--json", action="store_true", help="print one JSON object")
    multilingual.set_defaults(func=_run_multilingual)


def _run_retrieve(args: argparse.Namespace) -> int:
    result = evaluate_retrieval(args.corpus, args.queries, args.history,
                                embedder=load_embedder(get_settings().embedding_model), progress=_progress)
    print(json.dumps(result) if args.json else format_table(result))
    return 0


def _run_answers(args: argparse.Namespace) -> int:
    settings = get_settings()
    threshold = args.abstain_below if args.abstain_below is not None else settings.answer_abstain_below
    result = evaluate_answers(args.corpus, args.queries, args.answers, abstain_below=threshold,
                              embedder=load_embedder(settings.embedding_model), progress=_progress)
    print(json.dumps(result) if args.json else format_answer_report(result))
    return 0


def _run_multilingual(args: argparse.Namespace) -> int:
    settings = get_settings()
    model = load_multilingual_embedder(settings.multilingual_model or MULTILINGUAL_MODEL_ID)
    if model is None:
        raise InvalidInput("no multilingual embedding model")
    result = evaluate_multilingual(args.questions, args.kb, embedder=load_embedder(settings.embedding_model),
                                   multilingual=model, abstain_below=settings.answer_abstain_below,
                                   progress=_progress)
    print(json.dumps(result) if args.json else format_report(result))
    return 0
