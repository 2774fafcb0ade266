"""How much BM25 should weigh beside the multilingual vectors for questions not in English (the demo KB).

    PYTHONPATH=src .venv/bin/python benchmarks/multilingual_lexical_weight.py [--index-dir DIR]

The questions of benchmarks/data/multilingual_questions.csv (20 on-topic and 5 off-topic per language) are
searched the way the chat searches a question not in English (the multilingual view of the whole demo KB,
originals ranked, `language` given) at each lexical weight of the grid. For each weight it prints P@1 per
language, then the evidence floor and weight `deskpilot eval multilingual` would choose at that weight on the
German and French questions, and the handling figures at the desk's answer threshold with them (handled right:
on-topic answered from the right article, off-topic abstained). The weight in use (`ml/tuning.py`) is the one
with the best German + French P@1; Spanish and Chinese never take part in the choice.

Computing the KB's multilingual vectors takes minutes on a loaded machine: `--index-dir` keeps the index
between runs (built there when missing).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from deskpilot.assist.index_store import KbIndex
from deskpilot.assist.retrieval import HybridRetriever, RetrievalParams, RetrievalQuery
from deskpilot.config import Settings
from deskpilot.demo import KB_DIR
from deskpilot.evaluation import multilingual as evaluation
from deskpilot.ml.embeddings import load_embedder
from deskpilot.ml.multilingual import load_multilingual_embedder

QUESTIONS = Path(__file__).parent / "data" / "multilingual_questions.csv"
GRID = (1.0, 0.5, 0.25, 0.15, 0.1, 0.05, 0.0)


def _view(index_dir: Path | None, settings: Settings) -> KbIndex:
    embedder = load_embedder(settings.embedding_model)
    multilingual = load_multilingual_embedder(settings.multilingual_model or evaluation.MULTILINGUAL_MODEL_ID)
    if index_dir is not None and (index_dir / "ml_titles").is_dir():
        index = KbIndex.load(index_dir, embedder, multilingual=multilingual)
    else:
        index = KbIndex(embedder, multilingual=multilingual)
        index.add_documents(evaluation.kb_documents(KB_DIR))
        index.cross_lingual()
        if index_dir is not None:
            index.save(index_dir)
    view = index.cross_lingual()
    assert view is not None
    return view


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index-dir", type=Path, help="keep the demo KB's index here between runs")
    args = parser.parse_args()
    settings = Settings()
    view = _view(args.index_dir, settings)
    questions = evaluation.read_questions(QUESTIONS, set(view.documents))
    vectors = view.embedder.encode([q.text for q in questions])
    print(f"{'lexical weight':>15}  P@1 by language  |  evidence floor/weight chosen on de+fr  |  handled right")
    for weight in GRID:
        retriever = HybridRetriever(view, replace(RetrievalParams.tuned(view.tuning), lexical_weight=weight))
        found = []
        for question, vector in zip(questions, vectors, strict=True):
            result = retriever.search(RetrievalQuery.from_dialogue(question.text, ""), k=3,
                                      language=question.language, utterance_vector=vector)
            top = result.hits[0].document.language if result.hits else ""
            found.append(evaluation.Searched([evaluation._original(view, h.slug) for h in result.hits],
                                             result, 0.0, top))
        p_at_1 = evaluation._by_language(questions, found, lambda q, s: round(evaluation._scores(q, s).p_at_1, 2))
        chosen = evaluation._choose_evidence(questions, found, settings.answer_abstain_below)
        handled = {lang: row["handled_right"] for lang, row in chosen["chosen"].items()}  # type: ignore[attr-defined]
        print(f"{weight:>15}  {p_at_1}  |  {chosen['evidence_floor']}/{chosen['evidence_weight']}  |  {handled}")


if __name__ == "__main__":
    main()
