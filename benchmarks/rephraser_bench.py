"""What an LLM rephraser adds to grounded answers, and what the verifier rejects, on doc2dial dev turns.

    PYTHONPATH=src .venv/bin/python benchmarks/rephraser_bench.py --base-url http://127.0.0.1:8077/v1 \
        --model gemma3-270m [--sample 40] [--index-dir /tmp/d2d] [--json]

Needs an OpenAI-compatible endpoint (llama.cpp server, Ollama, vLLM); never part of the test suite or the
default install. A deterministic sample of labelled turns (smallest crc32 of the query id) is searched
with the product retriever, answered by the product's extractive composer (every turn answered), and
the same evidence is sent to the product's `LlmRephraser`; the raw output goes through the product's
verifier. Printed beside each other, same turns, same run:

- `extractive`: the composer's answer (the baseline); `raw`: the model's text as it came (what an
  unverified rephraser would show); `shown`: what the product shows (the verified rephrasing, or the
  extractive answer when the verifier keeps nothing);
- token F1 and token precision against the reference grounding span; `grounded_precision`: the share of
  an answer's tokens found in the evidence it was given (1.0 for extractive; below 1 means invented words);
- verifier: generated sentences kept / dropped, turns where everything was rejected (fell back), and
  turns where the model failed (error or timeout); latency of the model call.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

from deskpilot.assist.chunking import split_sentences
from deskpilot.assist.compose import AnswerComposer
from deskpilot.assist.grounded import GroundedAnswer
from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.assist.retrieval import HybridRetriever
from deskpilot.assist.verifier import LlmRephraser, verify
from deskpilot.config import Settings
from deskpilot.errors import ProviderError
from deskpilot.evaluation.answers import answer_tokens, read_answers, token_f1
from deskpilot.evaluation.retrieval import percentile, read_corpus, read_queries
from deskpilot.ml.embeddings import load_embedder
from deskpilot.ml.llm_client import LlmClient

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"


def token_precision(prediction: str, reference: str) -> float:
    """Share of the prediction's tokens (bag) that occur in the reference."""
    predicted, wanted = answer_tokens(prediction), Counter(answer_tokens(reference))
    return sum((Counter(predicted) & wanted).values()) / len(predicted) if predicted else 0.0


def _measure(args: argparse.Namespace) -> dict[str, Any]:
    data = Path(args.data) / "doc2dial"
    documents = read_corpus(data / "corpus.csv")
    references = read_answers(data / "answers_dev.csv")
    labelled = [q for q in read_queries(data / "queries_dev.csv", {d.slug for d in documents})
                if q.query_id in references]
    labelled = sorted(labelled, key=lambda q: zlib.crc32(q.query_id.encode()))[: args.sample]
    index = _index(documents, Path(args.index_dir) if args.index_dir else None)
    retriever = HybridRetriever(index)
    composer = AnswerComposer(retriever, abstain_below=0.0)
    client = LlmClient(base_url=args.base_url, model=args.model, timeout_seconds=args.timeout)
    rephraser = LlmRephraser(client)
    rows: list[dict[str, Any]] = []
    for number, item in enumerate(labelled, start=1):
        answer = composer.answer(item.query)
        if answer.abstained:
            continue
        rows.append(_one(item.query.text, answer, references[item.query_id], rephraser, index))
        print(f"{number}/{len(labelled)} {rows[-1]['llm_ms']:.0f} ms", file=sys.stderr, flush=True)
    client.close()
    return _summary(rows, args)


def _index(documents: list[KbDocument], directory: Path | None) -> KbIndex:
    """The corpus index, loaded from `directory` when it was saved there before (else built, and saved)."""
    if directory is not None and directory.exists():
        return KbIndex.load(directory, load_embedder(Settings().embedding_model))
    print(f"indexing {len(documents)} passages", file=sys.stderr, flush=True)
    index = KbIndex(load_embedder(Settings().embedding_model))
    index.add_documents(documents)
    if directory is not None:
        index.save(directory)
    return index


def _one(question: str, answer: GroundedAnswer, reference: str, rephraser: LlmRephraser,
         index: KbIndex) -> dict[str, Any]:
    evidence = " ".join(s.text for s in answer.sentences)
    started = time.perf_counter()
    try:
        raw, failed = rephraser.rephrase(question, answer.sentences), False
    except ProviderError:
        raw, failed = "", True
    llm_ms = (time.perf_counter() - started) * 1000
    generated = split_sentences(raw)
    kept = verify(raw, answer.sentences, index.embedder) if raw else ()
    shown = " ".join(s.text for s in kept) if kept else answer.text
    return {
        "llm_ms": llm_ms, "failed": failed, "generated": len(generated), "kept": len(kept),
        "fell_back": not kept,
        "f1": {"extractive": token_f1(answer.text, reference), "raw": token_f1(raw, reference),
               "shown": token_f1(shown, reference)},
        "precision": {"extractive": token_precision(answer.text, reference),
                      "raw": token_precision(raw, reference), "shown": token_precision(shown, reference)},
        "grounded_precision": {"extractive": token_precision(answer.text, evidence),
                               "raw": token_precision(raw, evidence), "shown": token_precision(shown, evidence)},
        "words": {"extractive": len(answer_tokens(answer.text)), "raw": len(answer_tokens(raw)),
                  "shown": len(answer_tokens(shown))},
    }


def _mean(rows: list[dict[str, Any]], key: str, variant: str) -> float:
    return sum(float(r[key][variant]) for r in rows) / len(rows) if rows else 0.0


def _summary(rows: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    generated = sum(r["generated"] for r in rows)
    kept = sum(r["kept"] for r in rows)
    ok = [r for r in rows if not r["failed"]]
    return {
        "model": args.model, "turns": len(rows), "sample": args.sample,
        **{key: {variant: _mean(rows, key, variant) for variant in ("extractive", "raw", "shown")}
           for key in ("f1", "precision", "grounded_precision", "words")},
        "verifier": {
            "generated_sentences": generated, "kept_sentences": kept,
            "rejected_share": 1 - kept / generated if generated else 0.0,
            "turns_fell_back": sum(r["fell_back"] for r in rows),
            "turns_rephrased": sum(not r["fell_back"] for r in rows),
            "turns_model_failed": len(rows) - len(ok),
        },
        "llm_p50_ms": percentile([r["llm_ms"] for r in ok], 50) if ok else 0.0,
        "llm_p95_ms": percentile([r["llm_ms"] for r in ok], 95) if ok else 0.0,
    }


def _table(result: dict[str, Any]) -> str:
    lines = [f"{result['turns']} doc2dial dev turns, model {result['model']}",
             f"{'':<22}{'extractive':>11}{'raw LLM':>9}{'shown':>8}"]
    for key, label in [("f1", "token F1"), ("precision", "token precision"),
                       ("grounded_precision", "grounded precision"), ("words", "words")]:
        values = result[key]
        lines.append(f"{label:<22}{values['extractive']:>11.3f}{values['raw']:>9.3f}{values['shown']:>8.3f}")
    v = result["verifier"]
    lines.append(f"verifier: kept {v['kept_sentences']} of {v['generated_sentences']} generated sentences "
                 f"(rejected {v['rejected_share']:.0%}); rephrased shown on {v['turns_rephrased']} turns, "
                 f"fell back to extractive on {v['turns_fell_back']} (model failed on {v['turns_model_failed']})")
    lines.append(f"model call p50 / p95 ms: {result['llm_p50_ms']:.0f} / {result['llm_p95_ms']:.0f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", required=True, help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8077/v1")
    parser.add_argument("--model", required=True, help="the model name the endpoint expects")
    parser.add_argument("--sample", type=int, default=40, help="how many labelled turns (default 40)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per model call")
    parser.add_argument("--data", default=str(DATASETS), help="the shared datasets folder")
    parser.add_argument("--index-dir", help="save the corpus index here once and reuse it")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = _measure(args)
    print(json.dumps(result) if args.json else _table(result))


if __name__ == "__main__":
    main()
