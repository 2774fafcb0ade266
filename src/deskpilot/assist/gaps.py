"""Knowledge gaps: questions the assistant abstained on, clustered into "articles to write"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import AgglomerativeClustering

from deskpilot.ml.embeddings import Embedder


@dataclass(frozen=True)
class KnowledgeGap:
    """A group of similar unanswered questions; `representative` is the one closest to the others."""

    representative: str
    count: int
    questions: tuple[str, ...]


def cluster_gaps(
    questions: Sequence[str], embedder: Embedder, *, max_distance: float = 0.45, min_count: int = 1
) -> list[KnowledgeGap]:
    """Average-linkage clusters of question embeddings cut at a cosine distance, largest first."""
    texts = [q.strip() for q in questions if q.strip()]
    if not texts:
        return []
    if len(texts) == 1:
        return [KnowledgeGap(texts[0], 1, (texts[0],))] if min_count <= 1 else []
    vectors = embedder.encode(texts)
    labels = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=max_distance
    ).fit_predict(vectors)
    gaps = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < min_count:
            continue
        centre = vectors[members].mean(axis=0)
        representative = texts[int(members[np.argmax(vectors[members] @ centre)])]
        gaps.append(KnowledgeGap(representative, len(members), tuple(texts[i] for i in members)))
    gaps.sort(key=lambda g: (-g.count, g.representative))
    return gaps
