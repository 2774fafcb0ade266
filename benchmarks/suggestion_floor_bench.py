"""The suggestion floor (`ml/tuning.py`): how many questions the chat would answer with uncertain suggestions
(`conversations/suggestions.py`) at each floor, on data that is not the conversation replay.

    PYTHONPATH=src python benchmarks/suggestion_floor_bench.py --index-dir DESK/var/index/kb [--negatives 600]

Out of the desk's domain: a seeded sample of CLINC150 validation questions (../shared/datasets/clinc150/val.csv;
banking, travel, small talk and its `oos` label, none an IT request). In the domain: the subjects of the demo
ticket history (src/deskpilot/demo/ticket_templates.yaml), each with the article its scenario names. Each is
searched alone in English on a built demo desk's index, as the chat does; only questions the answer abstains on
and no article's steps are walked for (`troubleshoot.best_article_with_steps`) can get suggestions. The table:
per floor, the share of those out-of-domain questions offered articles (wanted near 0) and the in-domain
questions offered articles, with how many of them list the scenario's article.
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

import yaml

from deskpilot.assist.index_store import KbIndex
from deskpilot.assist.retrieval import HybridRetriever, RetrievalQuery, SearchResult
from deskpilot.config import Settings
from deskpilot.conversations.suggestions import closest_articles
from deskpilot.conversations.troubleshoot import best_article_with_steps
from deskpilot.demo import KB_DIR
from deskpilot.ml.embeddings import load_embedder

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
TEMPLATES = KB_DIR.parent / "ticket_templates.yaml"
FLOORS = (0.36, 0.38, 0.40, 0.42, 0.44, 0.46, 0.48, 0.53)


def _searched(index: KbIndex, texts: list[str]) -> list[SearchResult]:
    retriever = HybridRetriever(index)
    vectors = index.embedder.encode(texts)
    return [retriever.search(RetrievalQuery.from_dialogue(text, ""), k=3, utterance_vector=vector, language="en")
            for text, vector in zip(texts, vectors, strict=True)]


def _undecided(results: list[SearchResult], abstain_below: float) -> list[int]:
    """Positions of the questions that would neither be answered nor walked through an article's steps."""
    return [n for n, r in enumerate(results)
            if r.confidence < abstain_below and best_article_with_steps(r, abstain_below) is None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--negatives", type=int, default=600)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    settings = Settings()
    index = KbIndex.load(args.index_dir, load_embedder(settings.embedding_model))
    rows = list(csv.DictReader((DATASETS / "clinc150" / "val.csv").open(encoding="utf-8")))
    random.Random(args.seed).shuffle(rows)
    outside = [row["text"] for row in rows[: args.negatives]]
    scenarios = yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))["scenarios"]
    inside = [(subject, s["article"]) for s in scenarios for subject in s["subjects"]]
    abstain = settings.answer_abstain_below
    out_results = _searched(index, outside)
    in_results = _searched(index, [text for text, _ in inside])
    out_open, in_open = _undecided(out_results, abstain), _undecided(in_results, abstain)
    print(f"abstain_below {abstain}; undecided: {len(out_open)}/{len(outside)} out of domain (CLINC150 val), "
          f"{len(in_open)}/{len(inside)} demo ticket subjects")
    print("| suggestion floor | out of domain offered articles | subjects offered articles | listing its article |")
    print("|---|---|---|---|")
    for floor in FLOORS:
        wrong = sum(bool(closest_articles(out_results[n], floor)) for n in out_open)
        offered = [(n, closest_articles(in_results[n], floor)) for n in in_open]
        offered = [(n, docs) for n, docs in offered if docs]
        listing = sum(inside[n][1] in {d.slug for d in docs} for n, docs in offered)
        print(f"| {floor:.2f} | {wrong}/{len(out_open)} ({wrong / max(len(out_open), 1):.1%}) | "
              f"{len(offered)}/{len(in_open)} | {listing} |")


if __name__ == "__main__":
    main()
