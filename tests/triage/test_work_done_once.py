"""Triage embeds a request's redacted text once: the category model, the priority model and the similar-tickets
search all use that one vector. Training from the history likewise embeds each ticket once."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from deskpilot import intake
from deskpilot.accounts.principal import Principal
from deskpilot.cli import main
from deskpilot.config import Environment, Settings
from deskpilot.ml.embeddings import Vectors, load_embedder
from deskpilot.tickets.enums import Priority, TicketStatus
from deskpilot.tickets.models import Ticket
from deskpilot.tickets.schemas import TicketCreate
from deskpilot.triage.engine import TriageEngine
from deskpilot.triage.service import triage_request
from tests.factories import make_desk
from tests.governance.conftest import demo_rows
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


def test_training_from_the_history_embeds_each_ticket_once(monkeypatch: pytest.MonkeyPatch, session: Session,
                                                           database_url: str, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    # The category model, the priority model, the cold-start comparison and the similar-tickets index all read
    # the same resolved tickets.
    desk = make_desk(session)
    seed_categories(session, desk)
    session.add_all(Ticket(subject=r.subject, description=r.description, category=r.category,
                           priority=Priority(r.priority), status=TicketStatus.RESOLVED, requester_id=desk.alice.id)
                    for r in demo_rows(per_category=6))
    session.commit()
    embedder = CountingEmbedder(Settings(environment=Environment.TEST, data_dir=tmp_path))
    monkeypatch.setattr("deskpilot.cli.train.load_embedder", lambda _model: embedder)
    monkeypatch.setenv("DESKPILOT_DATABASE_URL", database_url)
    monkeypatch.setenv("DESKPILOT_DATA_DIR", str(tmp_path))

    assert main(["train", "triage"]) == 0

    assert "triage-category v0001" in capsys.readouterr().out
    assert embedder.texts and len(embedder.texts) == len(set(embedder.texts))


def test_triaging_a_request_reads_the_categories_once_and_once_more_for_the_models_freshness(
        session: Session, triage_settings: Settings) -> None:
    desk = make_desk(session)
    seed_categories(session, desk)
    engine = TriageEngine(triage_settings, load_embedder(triage_settings.embedding_model))
    triage_request(session, engine=engine, subject="Laptop screen broken", body="The screen cracked.")
    statements: list[str] = []

    def remember(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    bind = session.get_bind()
    event.listen(bind, "before_cursor_execute", remember)
    try:
        outcome = triage_request(session, engine=engine, subject="Laptop screen broken",
                                 body="The screen cracked after a fall.", requester_id=desk.alice.id)
    finally:
        event.remove(bind, "before_cursor_execute", remember)

    assert outcome.queue is not None
    assert sum("FROM triage_categories" in statement for statement in statements) == 2
