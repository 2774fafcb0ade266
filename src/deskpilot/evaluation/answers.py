"""`deskpilot eval answers`: grounded answers scored by token F1 against reference answers.

Abstentions score 0 in `f1`; `f1_answered` averages over answered queries only. The curve gives F1
on the answered queries when the assistant answers only its most confident share of them.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from deskpilot.assist.compose import AnswerComposer
from deskpilot.assist.grounded import GroundedAnswer
from deskpilot.assist.index_store import KbIndex
from deskpilot.assist.retrieval import HybridRetriever
from deskpilot.errors import InvalidInput
from deskpilot.evaluation.datasets import read_csv_rows
from deskpilot.evaluation.retrieval import Progress, read_corpus, read_queries, silent
from deskpilot.ml.embeddings import Embedder, default_embedder

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_CITATION = re.compile(r"\[[^\[\]\s]+ v\d+\]")
ANSWER_RATES = (1.0, 0.9, 0.8, 0.6, 0.4, 0.2)


def answer_tokens(text: str) -> list[str]:
    """SQuAD-style normalisation: lower case, no punctuation, articles or citation tags."""
    text = _CITATION.sub(" ", text.lower())
    text = "".join(" " if ch in string.punctuation else ch for ch in text)
    return _ARTICLES.sub(" ", text).split()


def token_f1(prediction: str, reference: str) -> float:
    """Harmonic mean of token precision and recall (bags of tokens)."""
    predicted, wanted = answer_tokens(prediction), answer_tokens(reference)
    common = sum((Counter(predicted) & Counter(wanted)).values())
    if not predicted or not wanted or common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(wanted)
    return 2 * precision * recall / (precision + recall)


@dataclass(frozen=True)
class ScoredAnswer:
    """An answer composed regardless of confidence, scored, and whether the threshold withholds it."""

    answer: GroundedAnswer
    f1: float
    cited_ok: int
    sentences: int
    abstained: bool


def read_answers(path: Path) -> dict[str, str]:
    """A CSV `query_id,answer_text` as a mapping."""
    rows = read_csv_rows(path, ("query_id", "answer_text"))
    return {row["query_id"]: row["answer_text"] for row in rows}


def _citation_checks(answer: GroundedAnswer, index: KbIndex) -> int:
    """How many sentences cite an indexed chunk of that version that contains the sentence verbatim."""
    ok = 0
    for sentence in answer.sentences:
        chunk = index.chunks.get(sentence.chunk_id)
        if chunk and chunk.version == sentence.version and sentence.text in chunk.text:
            ok += 1
    return ok


def summarise(scored: Sequence[ScoredAnswer]) -> dict[str, object]:
    """Overall F1, answer rate, F1 on answered queries, citation coverage and the answer-rate curve."""
    answered = [s for s in scored if not s.abstained]
    sentences = sum(s.sentences for s in answered)
    by_confidence = sorted(scored, key=lambda s: -s.answer.confidence)
    curve = []
    for rate in ANSWER_RATES:
        top = by_confidence[: max(1, round(rate * len(scored)))]
        curve.append(
            {
                "answer_rate": rate,
                "f1_answered": sum(s.f1 for s in top) / len(top),
                "min_confidence": top[-1].answer.confidence,
            }
        )
    return {
        "f1": sum(s.f1 for s in answered) / len(scored),
        "answer_rate": len(answered) / len(scored),
        "f1_answered": sum(s.f1 for s in answered) / len(answered) if answered else 0.0,
        "citation_coverage": sum(s.cited_ok for s in answered) / sentences if sentences else 1.0,
        "queries": len(scored),
        "curve": curve,
    }


def evaluate_answers(
    corpus: Path,
    queries: Path,
    answers: Path,
    *,
    abstain_below: float,
    embedder: Embedder | None = None,
    progress: Progress = silent,
) -> dict[str, object]:
    """Compose an answer for every query that has a reference answer and score it."""
    documents = read_corpus(corpus)
    references = read_answers(answers)
    labelled = [q for q in read_queries(queries, {d.slug for d in documents}) if q.query_id in references]
    if not labelled:
        raise InvalidInput(f"{answers}: no query_id matches a query in {queries}")
    progress(f"indexing {len(documents)} documents")
    index = KbIndex(embedder or default_embedder())
    index.add_documents(documents)
    # Compose every answer (threshold 0) so the curve covers all of them; the threshold then decides.
    composer = AnswerComposer(HybridRetriever(index), abstain_below=0.0)
    scored = []
    for number, item in enumerate(labelled, start=1):
        answer = composer.answer(item.query)
        f1 = 0.0 if answer.abstained else token_f1(answer.text, references[item.query_id])
        withheld = answer.abstained or answer.confidence < abstain_below
        scored.append(ScoredAnswer(answer, f1, _citation_checks(answer, index), len(answer.sentences), withheld))
        if number % 500 == 0:
            progress(f"answers: {number}/{len(labelled)}")
    return {**summarise(scored), "abstain_below": abstain_below}


def format_answer_report(result: dict[str, object]) -> str:
    """A plain-text report with the precision/abstention curve."""
    lines = [
        f"queries            {result['queries']}",
        f"abstain below      {result['abstain_below']}",
        f"token F1           {result['f1']:.3f}",
        f"answer rate        {result['answer_rate']:.3f}",
        f"F1 when answered   {result['f1_answered']:.3f}",
        f"citation coverage  {result['citation_coverage']:.3f}",
        "",
        "answer rate  F1 answered  min confidence",
    ]
    curve = result["curve"]
    assert isinstance(curve, list)
    lines += [f"{c['answer_rate']:>11.0%}  {c['f1_answered']:>11.3f}  {c['min_confidence']:>14.3f}" for c in curve]
    return "\n".join(lines)
