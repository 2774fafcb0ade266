"""Tickets' vectors are stored once in the database: an app process, the mail listener or the worker finds the
vectors of tickets another process triaged instead of embedding them again, and they go with the ticket's text."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from deskpilot import intake
from deskpilot.accounts.principal import Principal
from deskpilot.clock import utcnow
from deskpilot.config import Environment, Settings
from deskpilot.db import session_factory, unit_of_work
from deskpilot.ml.embeddings import MODEL_ID, Embedder, Vectors, load_embedder
from deskpilot.personal_data import Erasure, Person
from deskpilot.tickets import personal_data, vectors
from deskpilot.tickets.enums import TicketStatus
from deskpilot.tickets.models import Ticket
from deskpilot.tickets.retention import SWEEP as RETENTION
from deskpilot.tickets.schemas import TicketCreate
from deskpilot.tickets.vector_models import TicketVector
from deskpilot.triage.engine import TriageEngine
from deskpilot.triage.similar import TicketIndex, TicketVectors, detect_major_incident, ticket_text
from tests.factories import make_desk, open_ticket

OUTAGE = ("Outlook cannot connect to the mail server", "Since 9:00 Outlook says the server is unavailable.")


class CountingEmbedder:
    """The real embedder, counting the texts it embeds (what a process spends on a mail)."""

    def __init__(self, embedder: Embedder) -> None:
        self.inner = embedder
        self.model_id, self.dimension = embedder.model_id, embedder.dimension
        self.texts = 0

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors:
        self.texts += len(texts)
        return self.inner.encode(texts, batch_size=batch_size)


def _process(tmp_path: Path, name: str) -> tuple[TriageEngine, CountingEmbedder]:
    """One process's triage engine (its own memory, its own data directory) on the shared database."""
    embedder = CountingEmbedder(load_embedder(MODEL_ID))
    settings = Settings(environment=Environment.TEST, data_dir=tmp_path / name)
    return TriageEngine(settings, embedder), embedder  # type: ignore[arg-type]


def test_a_process_reads_the_vectors_of_tickets_another_process_triaged_instead_of_embedding_them(
        session: Session, tmp_path: Path) -> None:
    desk = make_desk(session)
    processes = [_process(tmp_path, "app"), _process(tmp_path, "listener")]
    settings = Settings(environment=Environment.TEST, data_dir=tmp_path / "app")
    per_mail = []
    for number in range(8):
        engine, embedder = processes[number % 2]
        before = embedder.texts
        intake.open_ticket(session, actor=Principal.of(desk.alice), settings=settings, triage=engine,
                           data=TicketCreate(subject=f"{OUTAGE[0]} ({number})", description=OUTAGE[1]))
        per_mail.append(embedder.texts - before)
    session.commit()

    # Each mail embeds its own text once; the open tickets the burst check compares it with are read.
    assert per_mail == [1] * 8, per_mail
    assert processes[0][0].ticket_vectors.embedded == processes[1][0].ticket_vectors.embedded == 0
    assert session.scalar(select(func.count()).select_from(TicketVector)) == 8
    incident = detect_major_incident(session, processes[1][0].ticket_vectors,
                                     load_embedder(MODEL_ID).encode([ticket_text(*OUTAGE)])[0])
    assert incident is not None and len(incident.similar_open_ticket_ids) == 8


def test_a_ticket_without_a_stored_vector_is_embedded_once_for_every_process(session: Session) -> None:
    desk = make_desk(session)
    tickets = [open_ticket(session, desk, desk.bob, subject=f"Printer on floor {n} jams") for n in range(3)]
    first, second = CountingEmbedder(load_embedder(MODEL_ID)), CountingEmbedder(load_embedder(MODEL_ID))

    rows = TicketVectors(first).of(session, tickets)
    again = TicketVectors(second).of(session, tickets)

    assert (first.texts, second.texts) == (3, 0)
    assert rows.tobytes() == again.tobytes()


def test_a_ticket_whose_text_changed_is_embedded_again_not_served_its_old_vector(session: Session) -> None:
    desk = make_desk(session)
    ticket = open_ticket(session, desk, desk.bob, subject="Printer jams", description="Tray 2.")
    embedder = CountingEmbedder(load_embedder(MODEL_ID))
    process = TicketVectors(embedder)
    old = process.of(session, [ticket])[0]

    ticket.description = "The VPN drops every hour."
    session.flush()
    new = process.of(session, [ticket])[0]

    assert embedder.texts == 2
    assert float(old @ new) < 0.99
    stored = vectors.get_all(session, model_id=embedder.model_id, ticket_ids=[ticket.id])[ticket.id]
    assert stored.text_hash == vectors.content_hash(ticket.subject, ticket.description)
    assert stored.vector.tobytes() == new.tobytes()


def test_solved_tickets_enter_the_similar_tickets_index_with_their_stored_vectors(session: Session,
                                                                                  tmp_path: Path) -> None:
    desk = make_desk(session)
    ticket = open_ticket(session, desk, desk.alice, subject="VPN disconnects every hour")
    TicketVectors(load_embedder(MODEL_ID)).of(session, [ticket])  # triaged by an app process
    ticket.status = TicketStatus.RESOLVED
    session.flush()
    worker = CountingEmbedder(load_embedder(MODEL_ID))

    assert TicketIndex(tmp_path / "tickets", TicketVectors(worker)).refresh(session) == 1
    assert worker.texts == 0


def test_erasing_a_requester_deletes_the_vectors_of_their_tickets_texts(session: Session, tmp_path: Path) -> None:
    desk = make_desk(session)
    own = open_ticket(session, desk, desk.alice, subject="My laptop is broken")
    other = open_ticket(session, desk, desk.bob, subject="Printer jams", description="Alice's printer too")
    kept = open_ticket(session, desk, desk.bob, subject="Monitor cable")
    TicketVectors(load_embedder(MODEL_ID)).of(session, [own, other, kept])
    erasure = Erasure(Person(user_id=desk.alice.id, username=desk.alice.username, email=desk.alice.email,
                             full_name=desk.alice.full_name), identifiers=("Alice", desk.alice.email))

    personal_data.erase(session, settings=Settings(environment=Environment.TEST, data_dir=tmp_path),
                        erasure=erasure, apply=True)

    left = session.scalars(select(TicketVector.ticket_id)).all()
    assert left == [kept.id]
    assert session.get(Ticket, other.id) is not None


def test_a_fresh_process_embeds_only_its_own_mail_however_many_tickets_are_open(session: Session,
                                                                                  tmp_path: Path) -> None:
    desk = make_desk(session)
    settings = Settings(environment=Environment.TEST, data_dir=tmp_path / "app", requester_max_tickets_per_hour=100)
    running, _ = _process(tmp_path, "app")
    for number in range(30):
        intake.open_ticket(session, actor=Principal.of(desk.alice), settings=settings, triage=running,
                           data=TicketCreate(subject=f"Printer {number} jams", description="Tray 2 is stuck."))
    session.commit()
    started, embedder = _process(tmp_path, "listener")

    intake.open_ticket(session, actor=Principal.of(desk.alice), settings=settings, triage=started,
                       data=TicketCreate(subject=OUTAGE[0], description=OUTAGE[1]))

    assert embedder.texts == 1 and started.ticket_vectors.embedded == 0


def test_retention_emptying_a_closed_ticket_deletes_its_vector(session: Session, tmp_path: Path) -> None:
    desk = make_desk(session)
    old = open_ticket(session, desk, desk.alice, subject="VPN drops", description="Closed long ago.")
    recent = open_ticket(session, desk, desk.bob, subject="Printer jams")
    TicketVectors(load_embedder(MODEL_ID)).of(session, [old, recent])
    old.status, old.closed_at = TicketStatus.CLOSED, utcnow() - timedelta(days=3000)
    session.flush()

    RETENTION.expire(session, settings=Settings(environment=Environment.TEST, data_dir=tmp_path),
                     before=utcnow() - timedelta(days=365), dry_run=False)

    assert session.scalars(select(TicketVector.ticket_id)).all() == [recent.id]


def test_concurrent_first_triages_of_a_fresh_process_embed_each_unseen_ticket_once(session: Session,
                                                                                    engine: Engine) -> None:
    desk = make_desk(session)
    ids = [open_ticket(session, desk, desk.bob, subject=f"Printer on floor {n} jams").id for n in range(12)]
    session.commit()
    embedder = CountingEmbedder(load_embedder(MODEL_ID))
    process = TicketVectors(embedder)  # type: ignore[arg-type]
    factory = session_factory(engine)

    def triage() -> bytes:
        with unit_of_work(factory) as own:
            tickets = list(own.scalars(select(Ticket).where(Ticket.id.in_(ids)).order_by(Ticket.id)))
            return process.of(own, tickets).tobytes()

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: triage(), range(4)))

    assert embedder.texts == len(ids) and len(set(results)) == 1
    assert session.scalar(select(func.count()).select_from(TicketVector)) == len(ids)
