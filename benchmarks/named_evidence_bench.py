"""Articles named by a question's rare title-and-tag words (`assist/naming.py`): how many questions out of the
desk's domain the chat would then offer an article, beside the same chat without that evidence, on data that is
not the conversation replay.

    PYTHONPATH=src python benchmarks/named_evidence_bench.py --index-dir DESK/index/kb [--negatives 600]

(with DESKPILOT_DATA_DIR=DESK, so the intent model stored there is used). The questions are those of
`suggestion_floor_bench.py`: a seeded sample of CLINC150 validation questions (none an IT request) and the demo
ticket subjects with their scenario's article. Each goes the chat's way offline: the intent model's reading, weighed
against the KB when it leans out of scope (`conversations/scope.py`, its own search and clause readings), then
for a message that reaches the KB the answer's search in English: answered (confident), an article's steps tried
(`troubleshoot.best_article_with_steps`) or the closest articles suggested (`conversations/suggestions.py`).
"Without" clears every hit's title-and-tag weight, so it is the chat as it was, measured in the same run.
"""

from __future__ import annotations

import argparse
import csv
import random
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import yaml

from deskpilot.assist.index_store import KbIndex
from deskpilot.assist.retrieval import HybridRetriever, RetrievalQuery, SearchResult
from deskpilot.config import Settings
from deskpilot.conversations import scope
from deskpilot.conversations.intents import Intent, IntentModel, IntentReading, load_or_train
from deskpilot.conversations.suggestions import closest_articles
from deskpilot.conversations.troubleshoot import best_article_with_steps
from deskpilot.demo import KB_DIR
from deskpilot.ml.embeddings import load_embedder

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
TEMPLATES = KB_DIR.parent / "ticket_templates.yaml"
# The intents whose messages reach the KB search (`request_routing.respond`); the others get a reply of their own.
SEARCHED = {Intent.KB_QUESTION, Intent.PASSWORD_RESET, Intent.ACCOUNT_UNLOCK}
OUTCOMES = ("answered", "steps", "suggested", "nothing", "not searched")


def _without_naming(result: SearchResult) -> SearchResult:
    return replace(result, hits=[replace(hit, named=0.0) for hit in result.hits])


Searched = tuple[IntentReading, bool, SearchResult, SearchResult]


def _outcome(reading: IntentReading, in_part: bool, weighing: SearchResult, answer: SearchResult,
             settings: Settings, floor: float) -> tuple[str, str | None]:
    """What the chat does with one message, and the article it offers first (if any)."""
    abstain = settings.answer_abstain_below
    if scope.leans_out_of_scope(reading):
        reading = scope.weighed(reading, weighing, abstain, kb_question_in_part=in_part)
    if reading.intent not in SEARCHED or not answer.hits:
        return "not searched" if reading.intent not in SEARCHED else "nothing", None
    if answer.confidence >= abstain:
        return "answered", answer.hits[0].slug
    slug = best_article_with_steps(answer, abstain)
    if slug is not None:
        return "steps", slug
    closest = closest_articles(answer, floor)
    return ("suggested", closest[0].slug) if closest else ("nothing", None)


def _searched(index: KbIndex, model: IntentModel, texts: list[str]) -> list[Searched]:
    retriever = HybridRetriever(index)
    vectors: npt.NDArray[np.float32] = index.embedder.encode(texts)
    out = []
    for text, vector in zip(texts, vectors, strict=True):
        query = RetrievalQuery.from_dialogue(text, "")
        reading = model.read(text, vector=vector)
        in_part = scope.leans_out_of_scope(reading) and scope.asks_the_kb_in_part(model, reading, text)
        out.append((reading, in_part, retriever.search(query, k=scope.CANDIDATES, utterance_vector=vector),
                    retriever.search(query, k=3, utterance_vector=vector, language="en")))
    return out


def _table(name: str, rows: list[Searched], settings: Settings,
           floor: float, articles: list[str] | None) -> None:
    for label, strip in (("without", True), ("with", False)):
        counts: Counter[str] = Counter()
        right = 0
        for n, (reading, in_part, weighing, answer) in enumerate(rows):
            if strip:
                weighing, answer = _without_naming(weighing), _without_naming(answer)
            outcome, slug = _outcome(reading, in_part, weighing, answer, settings, floor)
            counts[outcome] += 1
            right += bool(articles and slug == articles[n])
        offered = counts["answered"] + counts["steps"] + counts["suggested"]
        cells = " | ".join(str(counts[o]) for o in OUTCOMES)
        first = f" | {right}" if articles else " | -"
        print(f"| {name}, {label} | {cells} | {offered}/{len(rows)} ({offered / len(rows):.1%}){first} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--negatives", type=int, default=600)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    settings = Settings()
    embedder = load_embedder(settings.embedding_model)
    index = KbIndex.load(args.index_dir, embedder)
    model = load_or_train(settings, embedder)
    rows = list(csv.DictReader((DATASETS / "clinc150" / "val.csv").open(encoding="utf-8")))
    random.Random(args.seed).shuffle(rows)
    outside = [row["text"] for row in rows[: args.negatives]]
    scenarios = yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))["scenarios"]
    inside = [(subject, s["article"]) for s in scenarios for subject in s["subjects"]]
    floor = index.tuning.suggestion_floor
    print(f"abstain_below {settings.answer_abstain_below}, suggestion floor {floor}, intent threshold "
          f"{model.threshold}")
    print(f"| questions | {' | '.join(OUTCOMES)} | offered an article | first is its article |")
    print("|---|---|---|---|---|---|---|---|")
    _table("CLINC150 val (out of domain)", _searched(index, model, outside), settings, floor, None)
    _table("demo ticket subjects", _searched(index, model, [t for t, _ in inside]), settings, floor,
           [a for _, a in inside])


if __name__ == "__main__":
    main()
