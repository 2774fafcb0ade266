"""A process warms triage before the first question, so no requester waits for its models and vectors."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from deskpilot.config import Environment, Settings
from deskpilot.ml.embeddings import MODEL_ID, load_embedder
from deskpilot.triage.engine import TriageEngine
from deskpilot.triage.similar import recent_open_tickets
from tests.factories import make_desk, open_ticket
from tests.triage.test_ticket_vectors import CountingEmbedder


def test_a_warmed_engine_has_the_classifiers_and_the_open_tickets_vectors_before_the_first_triage(
        session: Session, tmp_path: Path) -> None:
    desk = make_desk(session)
    for n in range(3):
        open_ticket(session, desk, desk.alice, subject=f"Badge reader {n} at the side door is dead")
    embedder = CountingEmbedder(load_embedder(MODEL_ID))
    engine = TriageEngine(Settings(environment=Environment.TEST, data_dir=tmp_path), embedder)

    engine.warm(session)
    warmed = embedder.texts
    engine.taxonomy.current(session)
    engine.ticket_vectors.of(session, recent_open_tickets(session))

    assert warmed >= 3
    assert embedder.texts == warmed
