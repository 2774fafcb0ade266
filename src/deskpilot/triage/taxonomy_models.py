"""The cold-start and corrections classifiers of the desk's current taxonomy, KB and corrections, rebuilt only
when one of them changes (a cheap state query per triage), embedding only prototypes not seen before."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.kb import service as kb
from deskpilot.ml.embeddings import Embedder, Vectors
from deskpilot.ml.features import EMBED_MAX_CHARS
from deskpilot.triage import categories
from deskpilot.triage.cold_start import (
    CORRECTION,
    LexicalPrototypes,
    Prototype,
    PrototypeClassifier,
    fingerprint,
    taxonomy_prototypes,
)
from deskpilot.triage.models import CorrectedExample


def taxonomy_state(session: Session) -> str:
    """A digest that changes whenever the prototypes would: the active categories, approved KB versions and
    the corrections. Reads no article bodies."""
    digest = hashlib.sha256()
    for c in categories.get_all(session):
        digest.update(repr((c.name, c.description, list(c.examples))).encode())
    digest.update(repr(sorted(kb.approved_versions(session).items())).encode())
    corrections = session.execute(select(func.count(), func.max(CorrectedExample.id))).one()
    digest.update(repr(tuple(corrections)).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class TaxonomyClassifiers:
    """`cold`: every prototype (None when the desk has none); `lexical`: the same prototypes read by their words;
    `memory`: the corrections only; `version`."""

    cold: PrototypeClassifier | None
    memory: PrototypeClassifier | None
    version: str
    lexical: LexicalPrototypes | None = None


class TaxonomyModels:
    """Holds the classifiers of the last taxonomy state seen; one per AI runtime (inside the triage engine)."""

    def __init__(self, embedder: Embedder, version_prefix: str) -> None:
        self._embedder = embedder
        self._prefix = version_prefix
        self._lock = threading.Lock()
        self._building = threading.Lock()
        self._state: str | None = None
        self._built = TaxonomyClassifiers(None, None, f"{version_prefix}:none")
        self._vectors: dict[str, Vectors] = {}

    def current(self, session: Session) -> TaxonomyClassifiers:
        """The classifiers for the taxonomy as it is in `session` now."""
        state = taxonomy_state(session)
        with self._lock:
            if state == self._state:
                return self._built
        # One request builds; the others that found the change wait for it instead of embedding the same
        # prototypes at once (at a process's start every concurrent first question did).
        with self._building:
            with self._lock:
                if state == self._state:
                    return self._built
            return self._build(session, state)

    def _build(self, session: Session, state: str) -> TaxonomyClassifiers:
        prototypes = taxonomy_prototypes(session)
        vectors = self._embed(prototypes)
        corrected = [i for i, p in enumerate(prototypes) if p.source.startswith(CORRECTION)]
        built = TaxonomyClassifiers(
            cold=PrototypeClassifier(prototypes, vectors, self._embedder) if prototypes else None,
            memory=PrototypeClassifier([prototypes[i] for i in corrected], vectors[corrected], self._embedder)
            if corrected else None,
            version=f"{self._prefix}:{fingerprint(prototypes)[:12]}",
            lexical=LexicalPrototypes(prototypes) if prototypes else None)
        with self._lock:
            self._state, self._built = state, built
        return built

    def _embed(self, prototypes: list[Prototype]) -> Vectors:
        """Vectors of the prototypes; texts embedded for an earlier state are reused, the rest embedded now."""
        texts = [p.text[:EMBED_MAX_CHARS] for p in prototypes]
        with self._lock:
            known = dict(self._vectors)
        missing = sorted({t for t in texts if t not in known})
        if missing:
            known.update(zip(missing, self._embedder.encode(missing), strict=True))
        with self._lock:
            self._vectors = {t: known[t] for t in texts}
        if not texts:
            return np.zeros((0, self._embedder.dimension), dtype=np.float32)
        return np.stack([known[t] for t in texts]).astype(np.float32)
