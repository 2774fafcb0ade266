"""Grounded answers: train the span scorer by cross-validation, and time answers on the demo KB.

    PYTHONPATH=src .venv/bin/python benchmarks/answer_bench.py collect --shard I --of N --index-dir D --out S.npz \
        [--max-words W]
    PYTHONPATH=src .venv/bin/python benchmarks/answer_bench.py train [--write] [--rows S.npz ...]
    PYTHONPATH=src .venv/bin/python benchmarks/answer_bench.py latency

`collect` searches the doc2dial dev turns of one shard of the dialogues (crc32 of the dialogue id mod N)
once and saves every candidate span's features and F1 against the reference. `train` (on saved shards,
or collecting all turns itself) prints the cross-validated figures (5 folds over dialogues): span F1
of ours, of the first article only (no rerank), of today's composer and of the oracle, article P@1
before/after the rerank, and the precision/coverage curve of the answer confidence with the threshold
chosen for 95% precision. `--write` saves the models fitted on
all turns as the package's `assist/span_model/` (manifest + weights).

The embedder is `DESKPILOT_EMBEDDING_MODEL` (Settings), as in the service.

`latency` answers the titles of the 56 demo-KB articles (`--rounds`, default 3) on the real embedder and prints the
p50/p95 of retrieval + rerank + span answer, beside retrieval + today's composer, in the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

from deskpilot.assist.compose import AnswerComposer
from deskpilot.assist.dialogue import RetrievalQuery
from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.assist.retrieval import HybridRetriever
from deskpilot.assist.span_scorer import SHIPPED
from deskpilot.config import Settings
from deskpilot.evaluation.answer_baseline import baseline_evidence
from deskpilot.evaluation.retrieval import percentile
from deskpilot.evaluation.span_data import SpanData, collect_span_data
from deskpilot.evaluation.span_training import train_span_scorer
from deskpilot.kb.importer import read_folder
from deskpilot.ml.embeddings import Embedder, load_embedder

ROOT = Path(__file__).resolve().parents[1]
DOC2DIAL = ROOT.parent / "shared" / "datasets" / "doc2dial"
DEMO_KB = ROOT / "src" / "deskpilot" / "demo" / "kb"


def _hash(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _embedder() -> Embedder:
    return load_embedder(Settings().embedding_model)


def train(args: argparse.Namespace) -> None:
    files = (DOC2DIAL / "corpus.csv", DOC2DIAL / "queries_dev.csv", DOC2DIAL / "answers_dev.csv")
    embedder = _embedder()
    if args.rows:
        data = SpanData.concatenate([SpanData.load(Path(path)) for path in args.rows])
    else:
        data = collect_span_data(*files, embedder=embedder, progress=lambda m: print(m, file=sys.stderr, flush=True))
    scorer, report = train_span_scorer(data, embedder_model_id=embedder.model_id)
    print(json.dumps(report, indent=1))
    if args.write:
        scorer.metadata["data"] = {"dataset": "doc2dial queries_dev + answers_dev", "sha256_16": _hash(*files),
                                   "turns": report["turns"], "rows": [Path(p).name for p in args.rows or []]}
        scorer.save(SHIPPED)
        print(f"wrote {SHIPPED}")


def collect(args: argparse.Namespace) -> None:
    files = (DOC2DIAL / "corpus.csv", DOC2DIAL / "queries_dev.csv", DOC2DIAL / "answers_dev.csv")
    data = collect_span_data(*files, embedder=_embedder(), index_dir=Path(args.index_dir), shard=(args.shard, args.of),
                             max_words=args.max_words, progress=lambda m: print(m, file=sys.stderr, flush=True))
    data.save(Path(args.out))


def latency(args: argparse.Namespace) -> None:
    documents = [KbDocument(d.slug, 1, d.title, d.body) for d in read_folder(DEMO_KB)]
    index = KbIndex(_embedder())
    index.add_documents(documents)
    retriever = HybridRetriever(index)
    composers = {"retrieval + span answer (default)": AnswerComposer(retriever, abstain_below=0.0),
                 "retrieval + rerank + span answer": AnswerComposer(retriever, abstain_below=0.0, rerank=True)}
    questions = [RetrievalQuery.from_dialogue(d.title) for d in documents]
    timings: dict[str, list[float]] = {label: [] for label in [*composers, "retrieval + today's composer"]}
    for _round in range(args.rounds):
        for query in questions:
            for label, composer in composers.items():
                start = time.perf_counter()
                composer.compose(query, retriever.search(query, k=3))
                timings[label].append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            baseline_evidence(query, retriever.search(query, k=3), index.embedder)
            timings["retrieval + today's composer"].append((time.perf_counter() - start) * 1000)
    print(f"demo KB: {len(documents)} articles, {len(questions) * args.rounds} questions")
    print(f"{'':<36}{'p50 ms':>8}{'p95 ms':>8}")
    for label, values in timings.items():
        print(f"{label:<36}{percentile(values, 50):>8.1f}{percentile(values, 95):>8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(required=True)
    training = sub.add_parser("train")
    training.add_argument("--write", action="store_true", help="save the fitted models into the package")
    training.add_argument("--rows", nargs="*", help="span rows collected before (`SpanData.save`), e.g. in shards")
    training.set_defaults(func=train)
    rows = sub.add_parser("collect")
    rows.add_argument("--shard", type=int, default=0)
    rows.add_argument("--of", type=int, default=1)
    rows.add_argument("--index-dir", required=True, help="the corpus index is saved here once and reused")
    rows.add_argument("--out", required=True, help="the .npz to write")
    rows.add_argument("--max-words", type=int, default=180, help="chunk size of the index (`KbIndex(max_words=…)`)")
    rows.set_defaults(func=collect)
    timing = sub.add_parser("latency")
    timing.add_argument("--rounds", type=int, default=3)
    timing.set_defaults(func=latency)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
