"""`deskpilot eval multilingual`: questions in other languages against the demo KB, ours beside the English-only
baseline in the same run.

Two searchers over the same questions:
- `baseline`: what the desk did before, MiniLM hybrid search over the English articles;
- `ours`: what the chat does now, the multilingual-e5 vectors over the whole demo KB, ranking the originals (a
  translation into the question's language voting for its original) and answering from that translation when
  there is one (a hit is the expected article or its translation), mixed with the English search of the
  question's rendering by the IT glossary (`assist.cross_language`); `in_language` is the share of on-topic
  questions answered from an article written in the question's language;
- `without_glossary`: `ours` with the glossary's weight at 0 (the multilingual ranking alone, as before it).

The glossary's weight is chosen like the evidence term, on the German and French questions only: the best mean
P@1 over `GLOSSARY_GRID`, then the most handled right at the answer threshold (`glossary` in the report).

The confidence's absolute-evidence term (`RetrievalParams.evidence_floor` and `evidence_weight`) is chosen
for multilingual-e5, whose cosines sit on another scale than MiniLM's: a grid search on the German and French
questions (the development languages, off-topic ones included) for the most questions handled right at the
desk's answer threshold (on-topic: answered from the right article; off-topic: abstained), fewest wrong
answers first. Spanish and Chinese, which it never saw, show how it carries over.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path

from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.assist.retrieval import HybridRetriever, RetrievalParams, RetrievalQuery, SearchResult
from deskpilot.errors import InvalidInput
from deskpilot.evaluation.datasets import read_csv_rows
from deskpilot.evaluation.retrieval import Progress, percentile, silent
from deskpilot.kb.importer import read_folder
from deskpilot.ml.embeddings import Embedder
from deskpilot.ml.multilingual import MODEL_ID as MULTILINGUAL_MODEL_ID
from deskpilot.ml.multilingual import PassageEmbedder
from deskpilot.ml.tuning import tuning_for

DEV_LANGUAGES = ("de", "fr")
FLOOR_GRID = [round(0.70 + 0.005 * i, 3) for i in range(41)]
WEIGHT_GRID = [10.0, 15.0, 20.0, 30.0, 40.0]
GLOSSARY_GRID = [round(0.1 * i, 1) for i in range(8)]


@dataclass(frozen=True)
class Question:
    language: str
    text: str
    slug: str | None


@dataclass(frozen=True)
class LanguageScores:
    questions: int
    p_at_1: float
    recall_at_3: float
    in_language: float
    p50_ms: float
    p95_ms: float


@dataclass(frozen=True)
class Searched:
    ranking: list[str]
    result: SearchResult
    ms: float
    language: str


def read_questions(path: Path, known: set[str]) -> list[Question]:
    """`language,text,slug` rows; an empty slug is an off-topic question, any other must be a known article."""
    questions = []
    for number, row in enumerate(read_csv_rows(path, ("language", "text", "slug")), start=2):
        slug = row["slug"].strip() or None
        if slug is not None and slug not in known:
            raise InvalidInput(f"{path}: line {number}: no article {slug!r} in the knowledge base")
        if not row["text"].strip() or not row["language"].strip():
            raise InvalidInput(f"{path}: line {number}: empty language or question")
        questions.append(Question(row["language"].strip(), row["text"].strip(), slug))
    return questions


def kb_documents(kb_dir: Path) -> list[KbDocument]:
    """The articles of a KB folder (front matter with language and translation), as version 1."""
    return [KbDocument(slug=d.slug, version=1, title=d.title, text=d.body, language=d.language,
                       translation_of=d.translation_of) for d in read_folder(kb_dir)]


def _original(index: KbIndex, slug: str) -> str:
    document = index.documents[slug]
    original = document.translation_of
    return original if original is not None and original in index.documents else slug


def _search(index: KbIndex, questions: Sequence[Question], *, per_question: bool = False,
            params: RetrievalParams | None = None) -> list[Searched]:
    retriever = HybridRetriever(index, params)
    out = []
    for question in questions:
        start = time.perf_counter()
        result = retriever.search(RetrievalQuery.from_dialogue(question.text, ""), k=3,
                                  language=question.language if per_question else None)
        ms = (time.perf_counter() - start) * 1000
        top_language = result.hits[0].document.language if result.hits else ""
        out.append(Searched([_original(index, h.slug) for h in result.hits], result, ms, top_language))
    return out


def _scores(questions: Sequence[Question], searched: Sequence[Searched]) -> LanguageScores:
    pairs = [(q, s) for q, s in zip(questions, searched, strict=True) if q.slug is not None]
    n = len(pairs) or 1
    latencies = [s.ms for _, s in pairs]
    return LanguageScores(
        questions=len(pairs),
        p_at_1=sum(1 for q, s in pairs if s.ranking[:1] == [q.slug]) / n,
        recall_at_3=sum(1 for q, s in pairs if q.slug in s.ranking[:3]) / n,
        in_language=sum(1 for q, s in pairs if s.language == q.language) / n,
        p50_ms=percentile(latencies, 50), p95_ms=percentile(latencies, 95))


def _confidence(found: Searched, params: RetrievalParams) -> float:
    """The retriever's confidence for a search already run, under other evidence parameters."""
    hits, evidence = found.result.hits, found.result.evidence
    if not hits or evidence is None:
        return 0.0
    bias, w_top, w_margin = params.calibration
    top = sorted((hit.text_score for hit in hits), reverse=True)
    margin = top[0] - top[1] if len(top) > 1 else top[0]
    logit = bias + w_top * top[0] + w_margin * margin
    logit += params.evidence_weight * (evidence.score(params.coverage_weight) - params.evidence_floor)
    return 1.0 / (1.0 + math.exp(-logit))


def _handling(questions: Sequence[Question], searched: Sequence[Searched], params: RetrievalParams,
              abstain_below: float) -> tuple[float, float, float]:
    """(handled right, answered right, answered wrong) shares: on-topic questions answered from the right
    article and off-topic ones abstained count as handled right."""
    right = answered = wrong = 0
    for question, found in zip(questions, searched, strict=True):
        answers = _confidence(found, params) >= abstain_below
        correct = question.slug is not None and found.ranking[:1] == [question.slug]
        right += (answers and correct) or (not answers and question.slug is None)
        answered += answers and correct
        wrong += answers and not correct
    n = len(questions) or 1
    return round(right / n, 3), round(answered / n, 3), round(wrong / n, 3)


def _by_language(questions: Sequence[Question], searched: Sequence[Searched],
                 score: Callable[[Sequence[Question], Sequence[Searched]], object]) -> dict[str, object]:
    result = {}
    for language in dict.fromkeys(q.language for q in questions):
        rows = [(q, s) for q, s in zip(questions, searched, strict=True) if q.language == language]
        result[language] = score([q for q, _ in rows], [s for _, s in rows])
    return result


def _choose_evidence(questions: Sequence[Question], searched: Sequence[Searched],
                     abstain_below: float) -> dict[str, object]:
    dev = [(q, s) for q, s in zip(questions, searched, strict=True) if q.language in DEV_LANGUAGES]
    dev_q, dev_s = [q for q, _ in dev], [s for _, s in dev]

    def merit(params: RetrievalParams) -> tuple[float, float]:
        right, _answered, wrong = _handling(dev_q, dev_s, params, abstain_below)
        return right, -wrong

    grid = [RetrievalParams(evidence_floor=f, evidence_weight=w) for f in FLOOR_GRID for w in WEIGHT_GRID]
    best = max(grid, key=merit)
    current = RetrievalParams.tuned(tuning_for(MULTILINGUAL_MODEL_ID))
    keys = ("handled_right", "answered_right", "answered_wrong")
    return {"chosen_on": list(DEV_LANGUAGES), "evidence_floor": best.evidence_floor,
            "evidence_weight": best.evidence_weight,
            "chosen": _by_language(questions, searched,
                                   lambda q, s: dict(zip(keys, _handling(q, s, best, abstain_below), strict=True))),
            "in_use": {"evidence_floor": current.evidence_floor, "evidence_weight": current.evidence_weight,
                       **_by_language(questions, searched, lambda q, s: dict(
                           zip(keys, _handling(q, s, current, abstain_below), strict=True)))}}


def _handled_right(questions: Sequence[Question], searched: Sequence[Searched], *, params: RetrievalParams,
                   abstain_below: float) -> float:
    return _handling(questions, searched, params, abstain_below)[0]


def _choose_glossary_weight(view: KbIndex, questions: Sequence[Question],
                            abstain_below: float) -> dict[str, object]:
    """Per weight of the glossary's English search: P@1 and handled right per language; the weight with the best
    German and French mean P@1, then handled right, is `chosen`."""
    tuned = RetrievalParams.tuned(view.tuning)
    dev = [q for q in questions if q.language in DEV_LANGUAGES]
    grid: dict[float, dict[str, object]] = {}
    merits: dict[float, tuple[float, float]] = {}
    for weight in GLOSSARY_GRID:
        params = replace(tuned, glossary_weight=weight)
        searched = _search(view, questions, per_question=True, params=params)
        scores = {language: asdict(s) for language, s in _by_language(questions, searched, _scores).items()
                  if isinstance(s, LanguageScores)}
        handled = _by_language(questions, searched, partial(_handled_right, params=params, abstain_below=abstain_below))
        grid[weight] = {language: {"p_at_1": scores[language]["p_at_1"], "handled_right": handled[language]}
                        for language in scores}
        on_dev = [s for q, s in zip(questions, searched, strict=True) if q.language in DEV_LANGUAGES]
        merits[weight] = (sum(scores[language]["p_at_1"] for language in DEV_LANGUAGES) / len(DEV_LANGUAGES),
                          _handling(dev, on_dev, params, abstain_below)[0])
    return {"chosen_on": list(DEV_LANGUAGES), "chosen": max(GLOSSARY_GRID, key=lambda w: merits[w]),
            "in_use": tuned.glossary_weight, "grid": grid}


def _speed(multilingual: PassageEmbedder, texts: list[str]) -> dict[str, float]:
    start = time.perf_counter()
    multilingual.encode_passages(texts)
    passages_per_s = len(texts) / (time.perf_counter() - start)
    timings = []
    for text in texts[:20]:
        start = time.perf_counter()
        multilingual.encode([text[:120]])
        timings.append((time.perf_counter() - start) * 1000)
    return {"passages_per_s": round(passages_per_s, 1), "one_query_ms": round(percentile(timings, 50), 1)}


def evaluate_multilingual(questions_path: Path, kb_dir: Path, *, embedder: Embedder, multilingual: PassageEmbedder,
                          abstain_below: float, progress: Progress = silent) -> dict[str, object]:
    """Score the three searchers (see the module docstring) on every question; figures per language."""
    documents = kb_documents(kb_dir)
    english = [d for d in documents if d.translation_of is None and d.language == "en"]
    questions = read_questions(questions_path, {d.slug for d in english})
    progress(f"indexing {len(english)} English articles and {len(documents) - len(english)} translations")
    baseline_index = KbIndex(embedder)
    baseline_index.add_documents(english)
    runs = {"baseline": _search(baseline_index, questions)}
    progress("baseline done")
    full_index = KbIndex(embedder, multilingual=multilingual)
    full_index.add_documents(documents)
    start = time.perf_counter()
    view = full_index.cross_lingual()
    embed_seconds = time.perf_counter() - start
    if view is None:
        raise InvalidInput("the multilingual embedder is off")
    runs["ours"] = _search(view, questions, per_question=True)
    runs["without_glossary"] = _search(view, questions, per_question=True,
                                       params=replace(RetrievalParams.tuned(view.tuning), glossary_weight=0.0))
    progress("multilingual searches done")
    report: dict[str, object] = {
        "questions": len(questions), "off_topic": sum(1 for q in questions if q.slug is None),
        "model": multilingual.model_id, "baseline_model": embedder.model_id,
        **{name: _by_language(questions, run, lambda q, s: asdict(_scores(q, s))) for name, run in runs.items()},
        "calibration": _choose_evidence(questions, runs["ours"], abstain_below),
        "glossary": _choose_glossary_weight(view, questions, abstain_below),
        "abstain_below": abstain_below,
        "speed": {"kb_chunks": len(full_index.chunks), "kb_embed_s": round(embed_seconds, 1),
                  **_speed(multilingual, [d.title for d in documents])},
    }
    return report


def format_report(report: dict[str, object]) -> str:
    """Per language: P@1 and R@3 of the baseline, ours without the glossary and ours, then the glossary's weight,
    the floor and the speed."""
    lines = [f"{'lang':<6}{'n':>4}  {'P@1 base':>9}{'no gloss':>9}{'ours':>7}  {'R@3 base':>9}{'no gloss':>9}"
             f"{'ours':>7}  {'in lang':>8}  {'p50 ms base':>12}{'no gloss':>9}{'ours':>7}"]
    baseline, plain, ours = report["baseline"], report["without_glossary"], report["ours"]
    assert isinstance(baseline, dict) and isinstance(plain, dict) and isinstance(ours, dict)
    for language in baseline:
        b, n, o = baseline[language], plain[language], ours[language]
        lines.append(f"{language:<6}{b['questions']:>4}  {b['p_at_1']:>9.2f}{n['p_at_1']:>9.2f}{o['p_at_1']:>7.2f}  "
                     f"{b['recall_at_3']:>9.2f}{n['recall_at_3']:>9.2f}{o['recall_at_3']:>7.2f}  "
                     f"{o['in_language']:>8.2f}  {b['p50_ms']:>12.1f}{n['p50_ms']:>9.1f}{o['p50_ms']:>7.1f}")
    lines.append(f"glossary weight: {report['glossary']}")
    lines.append(f"evidence term at answer threshold {report['abstain_below']}: {report['calibration']}")
    lines.append(f"speed of {report['model']}: {report['speed']}")
    return "\n".join(lines)
