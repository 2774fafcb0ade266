"""Similar resolved tickets and bursts of similar open tickets, on a real database and the real embedder."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.ml.embeddings import MODEL_ID, Vectors, load_embedder
from deskpilot.tickets import service
from deskpilot.tickets.enums import TicketStatus
from deskpilot.tickets.schemas import MessageCreate
from deskpilot.triage.similar import RecentVectors, TicketIndex, detect_major_incident, ticket_text
from tests.conftest import FrozenClock
from tests.factories import make_desk, open_ticket


def _solve(session: Session, desk: object, ticket_id: int, fix: str) -> None:
    carol = Principal.of(desk.carol)  # type: ignore[attr-defined]
    service.add_message(session, actor=carol, ticket_id=ticket_id, data=MessageCreate(body=fix))
    service.change_status(session, actor=carol, ticket_id=ticket_id, target=TicketStatus.RESOLVED)


def test_nearest_resolved_tickets_come_with_their_fix(session: Session, tmp_path: Path) -> None:
    desk = make_desk(session)
    vpn = open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject="VPN disconnects every hour",
                      description="GlobalProtect drops the tunnel and I lose my RDP session, mail anna@corp.example")
    printer = open_ticket(session, desk, desk.bob, queue=desk.service_desk, subject="Printer jammed on floor 2")
    _solve(session, desk, vpn.id, "Switched the gateway to Frankfurt and reinstalled GlobalProtect.")
    _solve(session, desk, printer.id, "Removed the jammed paper from tray 2.")
    index = TicketIndex(tmp_path / "tickets", load_embedder(MODEL_ID))
    assert index.refresh(session) == 2
    assert index.refresh(session) == 0, "refresh is incremental"
    query = load_embedder(MODEL_ID).encode([ticket_text("My VPN connection keeps dropping", "")])[0]
    hits = TicketIndex(tmp_path / "tickets", load_embedder(MODEL_ID)).nearest(session, query, k=2)
    assert [h.ticket_id for h in hits] == [vpn.id, printer.id]
    assert hits[0].resolution == "Switched the gateway to Frankfurt and reinstalled GlobalProtect."


def test_an_index_loaded_before_another_process_refreshed_the_files_reads_them_again(session: Session,
                                                                                     tmp_path: Path) -> None:
    desk = make_desk(session)
    vpn = open_ticket(session, desk, desk.alice, queue=desk.service_desk, subject="VPN disconnects every hour")
    _solve(session, desk, vpn.id, "Switched the gateway to Frankfurt.")
    embedder = load_embedder(MODEL_ID)
    app_process = TicketIndex(tmp_path / "tickets", embedder)  # loaded at start-up: nothing solved yet
    query = embedder.encode([ticket_text("My VPN connection keeps dropping", "")])[0]
    assert app_process.nearest(session, query) == []

    assert TicketIndex(tmp_path / "tickets", embedder).refresh(session) == 1  # the worker's retrain

    assert [h.ticket_id for h in app_process.nearest(session, query)] == [vpn.id]


def test_indexed_text_is_redacted() -> None:
    assert "anna@corp.example" not in ticket_text("VPN", "mail anna@corp.example")


def test_a_burst_of_similar_open_tickets_is_a_probable_major_incident(session: Session, clock: FrozenClock) -> None:
    desk = make_desk(session)
    first = open_ticket(session, desk, desk.alice, subject="Outlook cannot connect to the mail server")
    clock.advance(minutes=5)
    second = open_ticket(session, desk, desk.bob, subject="Outlook says it cannot connect to the mail server")
    open_ticket(session, desk, desk.bob, subject="Need a new monitor cable")
    recent = RecentVectors(load_embedder(MODEL_ID))
    vector = load_embedder(MODEL_ID).encode([ticket_text("Outlook is not connecting to the mail server", "")])[0]
    incident = detect_major_incident(session, recent, vector, min_tickets=3, threshold=0.7)
    assert incident is not None
    assert incident.parent_ticket_id == first.id
    assert set(incident.similar_open_ticket_ids) == {first.id, second.id}
    clock.advance(minutes=120)
    assert detect_major_incident(session, recent, vector, window_minutes=60) is None


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self) -> None:
        self.real = load_embedder(MODEL_ID)
        self.model_id, self.dimension = self.real.model_id, self.real.dimension
        self.texts: list[str] = []
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors:
        with self._lock:
            self.texts.extend(texts)
        return self.real.encode(texts, batch_size=batch_size)


def test_concurrent_triages_meeting_the_same_new_tickets_embed_each_of_them_once(session: Session) -> None:
    desk = make_desk(session)
    tickets = [open_ticket(session, desk, desk.alice, subject=f"Printer {n} on floor 2 jams") for n in range(6)]
    embedder = CountingEmbedder()
    recent = RecentVectors(embedder)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: recent.of(tickets), range(8)))
    assert len(embedder.texts) == len(tickets)
    assert all(np.array_equal(result, results[0]) for result in results)
    assert results[0].shape == (len(tickets), embedder.dimension)
