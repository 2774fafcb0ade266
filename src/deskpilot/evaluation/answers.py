"""`deskpilot eval answers`: grounded answers scored by token F1 against reference answers.

Abstentions score 0 in `f1`; `f1_answered` averages over answered queries only. The curve gives F1
on the answered queries when the assistant answers only its most confident share of them.
"""

from __future__ import annotations

import re
import string
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from deskpilot.assist.compose import AnswerComposer
from deskpilot.assist.grounded import AnswerDecision, GroundedAnswer, render
from deskpilot.assist.index_store import KbIndex
from deskpilot.assist.retrieval import HybridRetriever
from deskpilot.assist.spans import UnitVectors
from deskpilot.errors import InvalidInput
from deskpilot.evaluation.answer_baseline import baseline_evidence
from deskpilot.evaluation.datasets import read_csv_rows
from deskpilot.evaluation.retrieval import Progress, percentile, read_corpus, read_queries, silent
from deskpilot.evaluation.span_curve import RIGHT_F1, precision_curve
from deskpilot.ml.embeddings import Embedder

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


def _score(answer: GroundedAnswer, reference: str, index: KbIndex, abstain_below: float) -> ScoredAnswer:
    f1 = 0.0 if answer.abstained else token_f1(answer.text, reference)
    withheld = answer.abstained or answer.confidence < abstain_below
    return ScoredAnswer(answer, f1, _citation_checks(answer, index), len(answer.sentences), withheld)


def _precision(scored: Sequence[ScoredAnswer]) -> float:
    answered = [s for s in scored if not s.abstained]
    return sum(s.f1 >= RIGHT_F1 for s in answered) / len(answered) if answered else 0.0


def _ours(scored: Sequence[ScoredAnswer], latencies: Sequence[float]) -> dict[str, object]:
    """The figures only the trained composer has: decisions, precision/coverage curve, latency."""
    probability = np.asarray([s.answer.answer_probability for s in scored])
    f1 = np.asarray([s.f1 for s in scored])
    decisions = Counter(s.answer.decision.value for s in scored if not s.abstained)
    answered = [s for s in scored if not s.abstained and s.answer.decision is AnswerDecision.ANSWER]
    return {
        "precision": _precision(scored),
        "decisions": {d.value: decisions.get(d.value, 0) for d in AnswerDecision if d is not AnswerDecision.HAND_OVER}
        | {AnswerDecision.HAND_OVER.value: sum(s.abstained for s in scored)},
        "confident_precision": _precision(answered),
        "confident_rate": len(answered) / len(scored),
        "precision_coverage": precision_curve(np.nan_to_num(probability), f1 >= RIGHT_F1, f1),
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
    }


def evaluate_answers(
    corpus: Path,
    queries: Path,
    answers: Path,
    *,
    abstain_below: float,
    embedder: Embedder,
    progress: Progress = silent,
) -> dict[str, object]:
    """Compose an answer for every query that has a reference answer and score it, beside the baseline."""
    documents = read_corpus(corpus)
    references = read_answers(answers)
    labelled = [q for q in read_queries(queries, {d.slug for d in documents}) if q.query_id in references]
    if not labelled:
        raise InvalidInput(f"{answers}: no query_id matches a query in {queries}")
    progress(f"indexing {len(documents)} documents")
    index = KbIndex(embedder)
    index.add_documents(documents)
    retriever = HybridRetriever(index)
    # Compose every answer (threshold 0) so the curves cover all of them; the threshold then decides.
    composer = AnswerComposer(retriever, abstain_below=0.0, unit_vectors=UnitVectors(index.embedder))
    scored, baseline, latencies = [], [], []
    for number, item in enumerate(labelled, start=1):
        start = time.perf_counter()
        result = retriever.search(item.query, k=3)
        answer = composer.compose(item.query, result)
        latencies.append((time.perf_counter() - start) * 1000)
        reference = references[item.query_id]
        scored.append(_score(answer, reference, index, abstain_below))
        sentences = baseline_evidence(item.query, result, index.embedder) if result.hits else ()
        before = GroundedAnswer(sentences, result.confidence, not sentences, render(sentences))
        baseline.append(_score(before, reference, index, abstain_below))
        if number % 200 == 0:
            progress(f"answers: {number}/{len(labelled)}")
    today = {**summarise(baseline), "precision": _precision(baseline)}
    return {**summarise(scored), **_ours(scored, latencies), "abstain_below": abstain_below,
            "confident_above": composer.confident_above, "baseline": today}


def format_answer_report(result: dict[str, object]) -> str:
    """A plain-text report: ours beside today's composer, the decisions and the precision/coverage curve."""
    today = result["baseline"]
    curve, coverage, decisions = result["curve"], result["precision_coverage"], result["decisions"]
    assert isinstance(today, dict) and isinstance(curve, list) and isinstance(coverage, list)
    assert isinstance(decisions, dict)
    lines = [f"queries {result['queries']}, abstain below {result['abstain_below']}, "
             f"confident above {float(result['confident_above']):.3f}",  # type: ignore[arg-type]
             f"{'':<20}{'ours':>8}{'today':>8}"]
    for key, label in [("f1", "token F1"), ("answer_rate", "answer rate"), ("f1_answered", "F1 when answered"),
                       ("precision", "answer precision"), ("citation_coverage", "citation coverage")]:
        ours = float(result[key])  # type: ignore[arg-type]
        lines.append(f"{label:<20}{ours:>8.3f}{float(today[key]):>8.3f}")
    lines.append(f"p50 / p95 ms        {result['p50_ms']:.1f} / {result['p95_ms']:.1f}")
    lines.append("decisions           " + ", ".join(f"{k} {v}" for k, v in decisions.items()))
    lines += ["", "coverage  precision  F1 answered  min probability"]
    lines += [f"{c['coverage']:>8.0%}  {c['precision']:>9.3f}  {c['f1_answered']:>11.3f}  {c['min_probability']:>15.3f}"
              for c in coverage]
    lines += ["", "answer rate  F1 answered  min confidence"]
    lines += [f"{c['answer_rate']:>11.0%}  {c['f1_answered']:>11.3f}  {c['min_confidence']:>14.3f}" for c in curve]
    return "\n".join(lines)
