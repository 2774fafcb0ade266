"""Thresholds on raw cosines, tuned per embedder: each model's cosines sit on their own scale (unrelated texts
near 0.1 with MiniLM, near 0.75 with multilingual-e5), so a value tuned for one is wrong for another.

They are kept here, one record per embedder, and nowhere else. An index built with an embedder stores its
record in its manifest (`ml/artifacts.py`) and is searched with the stored values when it is loaded again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from deskpilot.ml.embeddings import MODEL_ID as MINILM_MODEL_ID
from deskpilot.ml.multilingual import MODEL_ID as MULTILINGUAL_MODEL_ID


@dataclass(frozen=True)
class EmbedderTuning:
    """The thresholds that depend on the embedder's cosine scale.

    `evidence_floor`, `evidence_weight`: the KB search confidence's absolute-evidence term (`assist/retrieval`):
    the logit moves by `evidence_weight` per unit of the best raw cosine above (below) `evidence_floor`.
    `history_min_similarity`: a past question votes for its article only above this cosine (`assist/history`).
    `lexical_weight`: the weight of BM25 beside the vectors in the hybrid search (`assist/retrieval`); the
    multilingual embedder searches questions in other languages than the articles', whose words rarely match.
    `suggestion_floor`: below the evidence floor, the cosine from which the chat still offers the closest articles
    as uncertain suggestions (`conversations/suggestions.py`); at the evidence floor, only on-topic ones.
    """

    evidence_floor: float
    evidence_weight: float
    history_min_similarity: float
    lexical_weight: float = 1.0
    suggestion_floor: float = 1.0

    def as_thresholds(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_thresholds(cls, thresholds: dict[str, float], model_id: str) -> EmbedderTuning:
        """The tuning stored in an artifact's manifest; a value it lacks is the embedder's current one."""
        current = tuning_for(model_id)
        return cls(**{f.name: float(thresholds.get(f.name, getattr(current, f.name))) for f in fields(cls)})


# MiniLM: evidence floor and weight chosen on a hand-written development set on the demo KB (docs/benchmarks.md,
# "Abstention on the demo KB"); history similarity by cross-validation on doc2dial queries_dev.
# multilingual-e5: on the German and French questions of benchmarks/data/multilingual_questions.csv, not on
# Spanish or Chinese: first the lexical weight for the best P@1 (grid 1, 0.5, 0.25, 0.15, 0.1, 0.05, 0), then
# floor and evidence weight by `deskpilot eval multilingual`'s grid at that lexical weight (docs/benchmarks.md);
# its history similarity was not tuned and is MiniLM's.
# Suggestion floor: MiniLM's on CLINC150 validation questions (out of the desk's domain) and the demo ticket
# subjects (benchmarks/suggestion_floor_bench.py, docs/benchmarks.md "weak"); multilingual-e5's was not tuned
# and is its evidence floor (only on-topic articles are suggested).
TUNED: dict[str, EmbedderTuning] = {
    MINILM_MODEL_ID: EmbedderTuning(evidence_floor=0.53, evidence_weight=10.0, history_min_similarity=0.5,
                                    suggestion_floor=0.44),
    MULTILINGUAL_MODEL_ID: EmbedderTuning(evidence_floor=0.775, evidence_weight=15.0, history_min_similarity=0.5,
                                          lexical_weight=0.15, suggestion_floor=0.775),
}
DEFAULT_TUNING = TUNED[MINILM_MODEL_ID]


def tuning_for(model_id: str) -> EmbedderTuning:
    """The tuned thresholds of `model_id`; an embedder never tuned (a test's) gets MiniLM's."""
    return TUNED.get(model_id, DEFAULT_TUNING)
