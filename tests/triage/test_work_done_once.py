"""Triage embeds a request's redacted text once: the category model, the priority model and the similar-tickets
search all use that one vector."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from deskpilot import intake
from deskpilot.accounts.principal import Principal
from deskpilot.config import Settings
from deskpilot.ml.embeddings import Vectors, load_embedder
from deskpilot.tickets.schemas import TicketCreate
from deskpilot.triage.engine import TriageEngine
from tests.factories import make_desk
from tests.triage.conftest import seed_categories


class CountingEmbedder:
    """The configured embedder, remembering every text it was asked to embed."""

    def __init__(self, settings: Settings) -> None:
        self.real = load_embedder(settings.embedding_model)
        self.model_id, self.dimension = self.real.model_id, self.real.dimension
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors:
        self.texts.extend(texts)
        return self.real.encode(texts, batch_size=batch_size)


def test_triaging_a_ticket_embeds_its_text_once(session: Session, triage_settings: Settings) -> None:
    desk = make_desk(session)
    seed_categories(session, desk)
    embedder = CountingEmbedder(triage_settings)
    engine = TriageEngine(triage_settings, embedder)

    _ticket, outcome = intake.open_ticket(
        session, actor=Principal.of(desk.alice), settings=triage_settings, triage=engine,
        data=TicketCreate(subject="Laptop screen broken", description="The screen cracked after a fall."))

    assert outcome.model_version.startswith("triage-category:v0001")
    assert embedder.texts == [outcome.result.redacted_text]
