"""Refit the chunk-size-dependent constants of the KB search at another chunk size (`KbIndex(max_words=…)`).

    PYTHONPATH=src .venv/bin/python benchmarks/chunk_size_bench.py calibration --max-words N [--index-dir D]
    PYTHONPATH=src .venv/bin/python benchmarks/chunk_size_bench.py evidence --max-words N --calibration B T M

The search's scores depend on how much text a chunk holds, so three things fitted on 180-word chunks are
refitted on the SAME data as before, at the size under study:

- `calibration`: the search confidence's logistic calibration (`RetrievalParams.calibration`: bias, weight
  of the top article's fused score, weight of its margin over the second) on doc2dial queries_dev, the
  label being "the first article is the labelled one"; the evidence term stays out, as when it was first
  fitted. Prints the coefficients fitted on all turns, their 5-fold (over dialogues) out-of-fold
  reliability per bin, and the hybrid ranking figures (MRR@10, P@1, recall@5) at that size.
- `evidence`: the evidence floor and weight (`ml/tuning.py`, MiniLM) on the hand-written development set
  of `tests/assist/test_out_of_scope.py` (`DEV_IN_SCOPE`, `DEV_OUT_OF_SCOPE`, all 56 demo articles), with
  the grid first used (floor 0.30-0.79 by 0.01, weight 0-50), answering at the product threshold 0.5:
  for each weight, the floors that answer the most in-scope questions right with no wrong and no
  out-of-scope answer.
- the span scorer and its answer model: `benchmarks/answer_bench.py collect --max-words N` then `train`.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
import time
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from deskpilot.assist.dialogue import RetrievalQuery
from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.assist.retrieval import HybridRetriever, RetrievalParams
from deskpilot.config import Settings
from deskpilot.evaluation.retrieval import rank_of, read_corpus, read_queries
from deskpilot.evaluation.span_data import dialogue_of
from deskpilot.kb.importer import read_folder
from deskpilot.ml.embeddings import Embedder, load_embedder

ROOT = Path(__file__).resolve().parents[1]
DOC2DIAL = ROOT.parent / "shared" / "datasets" / "doc2dial"
DEMO_KB = ROOT / "src" / "deskpilot" / "demo" / "kb"
OUT_OF_SCOPE_TESTS = ROOT / "tests" / "assist" / "test_out_of_scope.py"
THRESHOLD = 0.5
FLOORS = [round(0.30 + 0.01 * i, 2) for i in range(50)]
WEIGHTS = (0.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 50.0)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _index(documents: list[KbDocument], embedder: Embedder, max_words: int, directory: Path | None) -> KbIndex:
    if directory is not None and directory.exists():
        return KbIndex.load(directory, embedder)
    start = time.perf_counter()
    index = KbIndex(embedder, max_words=max_words)
    index.add_documents(documents)
    _log(f"indexed {len(documents)} documents into {len(index.chunks)} chunks in {time.perf_counter() - start:.0f} s")
    if directory is not None:
        index.save(directory)
    return index


def _fit(rows: np.ndarray, labels: np.ndarray) -> LogisticRegression:
    return LogisticRegression(C=1e6, max_iter=5000).fit(rows, labels)


def calibration(args: argparse.Namespace) -> None:
    embedder = load_embedder(Settings().embedding_model)
    documents = read_corpus(DOC2DIAL / "corpus.csv")
    labelled = read_queries(DOC2DIAL / "queries_dev.csv", {d.slug for d in documents})
    index = _index(documents, embedder, args.max_words, Path(args.index_dir) if args.index_dir else None)
    retriever = HybridRetriever(index, replace(RetrievalParams(), evidence_weight=0.0))
    rows, right, groups, ranks = [], [], [], []
    for number, item in enumerate(labelled, start=1):
        hits = retriever.search(item.query, k=10).hits
        margin = hits[0].score - hits[1].score if len(hits) > 1 else hits[0].score
        rows.append((hits[0].score, margin))
        right.append(hits[0].slug == item.doc_id)
        groups.append(dialogue_of(item.query_id))
        ranks.append(rank_of([h.slug for h in hits], item.doc_id))
        if number % 300 == 0:
            _log(f"searched {number}/{len(labelled)}")
    x, y = np.asarray(rows), np.asarray(right)
    model = _fit(x, y)
    out_of_fold = np.zeros(len(y))
    for train, test in GroupKFold(5).split(x, groups=groups):
        out_of_fold[test] = _fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    print(f"max_words {args.max_words}: {len(index.chunks)} chunks, {len(y)} turns")
    reciprocal = [1.0 / r if r is not None else 0.0 for r in ranks]
    print(f"MRR@10 {np.mean(reciprocal):.3f}  P@1 {np.mean(y):.3f}  "
          f"recall@5 {np.mean([r is not None and r <= 5 for r in ranks]):.3f}")
    print(f"calibration (bias, top, margin): ({model.intercept_[0]:.4f}, {model.coef_[0][0]:.5f}, "
          f"{model.coef_[0][1]:.4f})")
    edges = np.quantile(out_of_fold, [0.25, 0.5, 0.75])
    bins = np.digitize(out_of_fold, edges)
    print("out-of-fold, quartiles of the prediction: predicted / observed")
    for b in range(4):
        chosen = bins == b
        print(f"  {out_of_fold[chosen].mean():.2f} / {y[chosen].mean():.2f}  ({chosen.sum()} turns)")


def _dev_sets() -> ModuleType:
    spec = importlib.util.spec_from_file_location("out_of_scope_dev", OUT_OF_SCOPE_TESTS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def evidence(args: argparse.Namespace) -> None:
    dev = _dev_sets()
    embedder = load_embedder(Settings().embedding_model)
    documents = [KbDocument(d.slug, 1, d.title, d.body) for d in read_folder(DEMO_KB)]
    index = _index(documents, embedder, args.max_words, None)
    params = replace(RetrievalParams(), calibration=tuple(args.calibration), evidence_weight=0.0)
    retriever = HybridRetriever(index, params)
    questions = [(q, slug) for q, slug in dev.DEV_IN_SCOPE] + [(q, None) for q in dev.DEV_OUT_OF_SCOPE]
    seen = []
    for question, slug in questions:
        result = retriever.search(RetrievalQuery.from_dialogue(question), k=3)
        assert result.evidence is not None
        logit = math.log(result.confidence / (1.0 - result.confidence))
        seen.append((logit, result.evidence.cosine, result.hits[0].slug == slug if slug else None))
    print(f"max_words {args.max_words}: {len(index.chunks)} chunks; calibration {tuple(args.calibration)}")
    print(f"{len(dev.DEV_IN_SCOPE)} in-scope, {len(dev.DEV_OUT_OF_SCOPE)} out-of-scope; per weight: the floors "
          "with the most right answers and none wrong or out of scope (right answered)")
    for weight in WEIGHTS:
        score = {}
        for floor in FLOORS:
            answered = [ok for logit, cosine, ok in seen
                        if 1.0 / (1.0 + math.exp(-(logit + weight * (cosine - floor)))) >= THRESHOLD]
            right = sum(ok is True for ok in answered)
            score[floor] = right if all(ok is True for ok in answered) else -1
        best = max(score.values())
        plateau = [f for f, s in score.items() if s == best]
        print(f"  weight {weight:>4}: {best} right, floors {plateau[0]:.2f}-{plateau[-1]:.2f}" if best >= 0
              else f"  weight {weight:>4}: always a wrong or out-of-scope answer")
        if weight == args.weight:
            print("    by floor (-1: a wrong or out-of-scope answer): "
                  + " ".join(f"{f:.2f}:{s}" for f, s in score.items() if 0.40 <= f <= 0.70))
    cosines = sorted((c, ok) for _, c, ok in seen)
    print("cosines, out of scope: " + " ".join(f"{c:.2f}" for c, ok in cosines if ok is None))
    print("cosines, in scope (x: top article wrong): "
          + " ".join(f"{c:.2f}" + ("" if ok else "x") for c, ok in cosines if ok is not None))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(required=True)
    fitting = sub.add_parser("calibration")
    fitting.add_argument("--max-words", type=int, required=True)
    fitting.add_argument("--index-dir", help="the doc2dial index is saved here once and reused")
    fitting.set_defaults(func=calibration)
    grid = sub.add_parser("evidence")
    grid.add_argument("--max-words", type=int, required=True)
    grid.add_argument("--calibration", type=float, nargs=3, required=True, metavar=("BIAS", "TOP", "MARGIN"))
    grid.add_argument("--weight", type=float, default=10.0, help="the weight whose floors are listed one by one")
    grid.set_defaults(func=evidence)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
