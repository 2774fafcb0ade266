"""`deskpilot eval multilingual`: questions in other languages against the demo KB, ours beside the English-only
baseline in the same run.

Three searchers over the same questions:
- `baseline`: what the desk did before, MiniLM hybrid search over the English articles;
- `cross_lingual`: the multilingual-e5 vectors over the same English articles (the language filter on);
- `translated`: the multilingual-e5 vectors over the whole demo KB, translations included, answering from the
  article in the question's language when there is one (a hit is the expected article or its translation).

Off-topic questions (empty `slug`) measure the evidence floor: the raw cosine of the question to the top
article, above which a question counts as on topic. The floor is chosen on the German and French questions
(the development languages) and reported on Spanish and Chinese, which it never saw.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.assist.retrieval import HybridRetriever, RetrievalQuery, SearchResult
from deskpilot.errors import InvalidInput
from deskpilot.evaluation.datasets import read_csv_rows
from deskpilot.evaluation.retrieval import Progress, percentile, silent
from deskpilot.kb.importer import read_folder
from deskpilot.ml.embeddings import Embedder
from deskpilot.ml.multilingual import PassageEmbedder

DEV_LANGUAGES = ("de", "fr")
FLOOR_GRID = [round(0.70 + 0.005 * i, 3) for i in range(41)]


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
    p50_ms: float
    p95_ms: float


@dataclass(frozen=True)
class Searched:
    ranking: list[str]
    result: SearchResult
    ms: float


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
    return document.translation_of if document.translation_of in index.documents else slug


def _search(index: KbIndex, questions: Sequence[Question], *, language_filter: bool) -> list[Searched]:
    retriever = HybridRetriever(index)
    out = []
    for question in questions:
        start = time.perf_counter()
        result = retriever.search(RetrievalQuery.from_dialogue(question.text, ""), k=3,
                                  language=question.language if language_filter else None)
        ms = (time.perf_counter() - start) * 1000
        out.append(Searched([_original(index, h.slug) for h in result.hits], result, ms))
    return out


def _scores(questions: Sequence[Question], searched: Sequence[Searched]) -> LanguageScores:
    pairs = [(q, s) for q, s in zip(questions, searched, strict=True) if q.slug is not None]
    n = len(pairs) or 1
    latencies = [s.ms for _, s in pairs]
    return LanguageScores(
        questions=len(pairs),
        p_at_1=sum(1 for q, s in pairs if s.ranking[:1] == [q.slug]) / n,
        recall_at_3=sum(1 for q, s in pairs if q.slug in s.ranking[:3]) / n,
        p50_ms=percentile(latencies, 50), p95_ms=percentile(latencies, 95))


def _floor_accuracy(questions: Sequence[Question], searched: Sequence[Searched], floor: float) -> float:
    """Share of questions on the right side of `floor`: on-topic at or above it, off-topic below."""
    right = 0
    for question, found in zip(questions, searched, strict=True):
        cosine = found.result.evidence.cosine if found.result.evidence else 0.0
        right += (cosine >= floor) == (question.slug is not None)
    return right / (len(questions) or 1)


def _by_language(questions: Sequence[Question], searched: Sequence[Searched],
                 score: Callable[[Sequence[Question], Sequence[Searched]], object]) -> dict[str, object]:
    result = {}
    for language in dict.fromkeys(q.language for q in questions):
        rows = [(q, s) for q, s in zip(questions, searched, strict=True) if q.language == language]
        result[language] = score([q for q, _ in rows], [s for _, s in rows])
    return result


def _choose_floor(questions: Sequence[Question], searched: Sequence[Searched]) -> dict[str, object]:
    dev = [(q, s) for q, s in zip(questions, searched, strict=True) if q.language in DEV_LANGUAGES]
    dev_q, dev_s = [q for q, _ in dev], [s for _, s in dev]
    best = max(FLOOR_GRID, key=lambda f: (_floor_accuracy(dev_q, dev_s, f), -abs(f - 0.8)))
    return {"chosen_on": list(DEV_LANGUAGES), "floor": best,
            "accuracy": _by_language(questions, searched, lambda q, s: round(_floor_accuracy(q, s, best), 3))}


def _answered_right(questions: Sequence[Question], searched: Sequence[Searched], abstain_below: float) -> float:
    """Share of on-topic questions answered (confidence ≥ threshold) from the expected article."""
    pairs = [(q, s) for q, s in zip(questions, searched, strict=True) if q.slug is not None]
    right = sum(1 for q, s in pairs if s.result.confidence >= abstain_below and s.ranking[:1] == [q.slug])
    return round(right / (len(pairs) or 1), 3)


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
    english_index = KbIndex(embedder, multilingual=multilingual)
    english_index.add_documents(english)
    full_index = KbIndex(embedder, multilingual=multilingual)
    full_index.add_documents(documents)
    runs = {"baseline": _search(baseline_index, questions, language_filter=False)}
    progress("baseline done")
    for name, index in (("cross_lingual", english_index), ("translated", full_index)):
        view = index.cross_lingual()
        if view is None:
            raise InvalidInput("the multilingual embedder is off")
        runs[name] = _search(view, questions, language_filter=True)
        progress(f"{name} done")
    report: dict[str, object] = {
        "questions": len(questions), "off_topic": sum(1 for q in questions if q.slug is None),
        "model": multilingual.model_id, "baseline_model": embedder.model_id,
        **{name: _by_language(questions, run, lambda q, s: asdict(_scores(q, s))) for name, run in runs.items()},
        "evidence_floor": _choose_floor(questions, runs["translated"]),
        "answered_right": {name: _by_language(questions, run, lambda q, s: _answered_right(q, s, abstain_below))
                           for name, run in runs.items()},
        "abstain_below": abstain_below,
        "speed": _speed(multilingual, [d.text for d in documents[:64]]),
    }
    return report


def format_report(report: dict[str, object]) -> str:
    """Per language: P@1 and R@3 of the baseline and ours, then the floor and the speed."""
    lines = [f"{'lang':<6}{'n':>4}  {'P@1 base':>9}{'P@1 xling':>10}{'P@1 +tr':>9}  {'R@3 base':>9}{'R@3 xling':>10}"
             f"{'R@3 +tr':>9}  {'p50 ms':>7}"]
    baseline, xling, translated = (report[k] for k in ("baseline", "cross_lingual", "translated"))
    assert isinstance(baseline, dict) and isinstance(xling, dict) and isinstance(translated, dict)
    for language in baseline:
        b, x, t = baseline[language], xling[language], translated[language]
        lines.append(f"{language:<6}{b['questions']:>4}  {b['p_at_1']:>9.2f}{x['p_at_1']:>10.2f}{t['p_at_1']:>9.2f}  "
                     f"{b['recall_at_3']:>9.2f}{x['recall_at_3']:>10.2f}{t['recall_at_3']:>9.2f}  {t['p50_ms']:>7.1f}")
    lines.append(f"evidence floor: {report['evidence_floor']}")
    lines.append(f"answered from the right article at confidence >= {report['abstain_below']}: "
                 f"{report['answered_right']}")
    lines.append(f"speed of {report['model']}: {report['speed']}")
    return "\n".join(lines)
