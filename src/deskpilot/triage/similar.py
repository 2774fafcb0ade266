"""Similar resolved tickets (explanations, probable cause and fix) and bursts of similar open tickets
(probable major incidents). Ticket texts are PII-redacted before they are embedded or indexed."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.clock import utcnow
from deskpilot.ml.artifacts import MANIFEST, ArtifactRefused
from deskpilot.ml.embeddings import Embedder, Vectors
from deskpilot.ml.vector_index import ExactVectorIndex
from deskpilot.tickets.enums import MessageKind, TicketStatus
from deskpilot.tickets.models import Ticket, TicketMessage
from deskpilot.triage.pii import redact_pii

log = logging.getLogger(__name__)
SOLVED = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
OPEN = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.WAITING_ON_CUSTOMER)


def ticket_text(subject: str, description: str) -> str:
    """The redacted text of a ticket as the models see it."""
    return redact_pii(f"{subject}\n{description}"[:4000]).text


@dataclass(frozen=True)
class SimilarTicket:
    ticket_id: int
    subject: str
    score: float
    category: str | None
    resolution: str | None


@dataclass(frozen=True)
class MajorIncident:
    parent_ticket_id: int
    similar_open_ticket_ids: list[int]
    window_minutes: int


class TicketIndex:
    """Vectors of resolved tickets, kept as a plain-file index under `directory`.

    Another process (the worker's `triage.retrain`, `deskpilot train triage`) may refresh the files: the saved
    manifest's modification time is this index's version, and `nearest` loads the files again when it moved."""

    def __init__(self, directory: Path, embedder: Embedder) -> None:
        self.directory = directory
        self.embedder = embedder
        self._lock = threading.Lock()
        self.index = ExactVectorIndex(model_id=embedder.model_id, dimension=embedder.dimension)
        self._loaded_version: int | None = None
        self._reload_if_changed()

    def _saved_version(self) -> int | None:
        try:
            return (self.directory / MANIFEST).stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def _reload_if_changed(self) -> None:
        version = self._saved_version()
        if version is None or version == self._loaded_version:
            return
        try:
            self.index = ExactVectorIndex.load(self.directory, embedder_model_id=self.embedder.model_id)
        except (OSError, ValueError) as exc:
            # Caught half-way through another process's save: keep what is loaded, read the files next time.
            log.info("similar-tickets vectors are being rewritten (%s); reading them again at the next search", exc)
            return
        except ArtifactRefused as exc:
            # Every solved ticket is embedded again by the next `refresh`.
            log.warning("similar-tickets vectors not loaded (%s); re-embedding the solved tickets", exc.message)
        self._loaded_version = version

    def refresh(self, session: Session) -> int:
        """Add resolved tickets not yet indexed and drop reopened ones; returns how many were added."""
        solved = {str(t.id): t for t in session.scalars(select(Ticket).where(Ticket.status.in_(SOLVED)))}
        with self._lock:
            stale = [tid for tid in self.index.row_ids() if tid is not None and tid not in solved]
            self.index.remove(stale)
            missing = [t for tid, t in solved.items() if tid not in self.index]
            if missing:
                vectors = self.embedder.encode([ticket_text(t.subject, t.description) for t in missing])
                self.index.add([str(t.id) for t in missing], vectors)
            if missing or stale:
                self.index.save(self.directory)
                self._loaded_version = self._saved_version()
        return len(missing)

    def forget(self, ticket_ids: list[int]) -> int:
        """Drop these tickets' vectors (their text was erased); the next `refresh` embeds what is left of them."""
        with self._lock:
            gone = [str(ticket_id) for ticket_id in ticket_ids if str(ticket_id) in self.index]
            if gone:
                self.index.remove(gone)
                self.index.save(self.directory)
        return len(gone)

    def nearest(self, session: Session, vector: Vectors, *, k: int = 5, exclude: int | None = None
                ) -> list[SimilarTicket]:
        """The `k` most similar resolved tickets, with the resolution message an agent gave."""
        with self._lock:
            self._reload_if_changed()
        hits = [(int(tid), score) for tid, score in self.index.search(vector, k + 1) if tid != str(exclude)][:k]
        return described(session, hits)


def described(session: Session, hits: list[tuple[int, float]]) -> list[SimilarTicket]:
    """(ticket id, similarity) pairs with each ticket's subject, category and resolution, in the same order."""
    tickets = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_([h[0] for h in hits])))}
    return [SimilarTicket(ticket_id=tid, subject=tickets[tid].subject, score=round(score, 4),
                          category=tickets[tid].category, resolution=_resolution(session, tickets[tid]))
            for tid, score in hits if tid in tickets]


def _resolution(session: Session, ticket: Ticket) -> str | None:
    """The last public reply by someone other than the requester: how the ticket was solved."""
    return session.scalar(
        select(TicketMessage.body).where(TicketMessage.ticket_id == ticket.id,
                                         TicketMessage.kind == MessageKind.PUBLIC_REPLY,
                                         TicketMessage.author_id != ticket.requester_id)
        .order_by(TicketMessage.id.desc()).limit(1))


class RecentVectors:
    """Vectors of recently triaged tickets, so burst detection embeds each open ticket once per process.

    Tickets another process created (app processes, the mail listener, the worker) are embedded here the
    first time a triage meets them: after a mail burst, every concurrent first triage found the same hundred
    tickets missing and embedded all of them itself. One request now embeds what is missing while the others
    wait for it and reuse its vectors."""

    def __init__(self, embedder: Embedder, *, capacity: int = 5000) -> None:
        self.embedder = embedder
        self.capacity = capacity
        self._vectors: dict[int, Vectors] = {}
        self._lock = threading.Lock()
        self._embedding = threading.Lock()

    def remember(self, ticket_id: int, vector: Vectors) -> None:
        with self._lock:
            self._vectors[ticket_id] = vector
            while len(self._vectors) > self.capacity:
                self._vectors.pop(next(iter(self._vectors)))

    def _missing(self, tickets: list[Ticket]) -> list[Ticket]:
        with self._lock:
            return [t for t in tickets if t.id not in self._vectors]

    def of(self, tickets: list[Ticket]) -> Vectors:
        """One row per ticket, embedding only those not seen before."""
        if self._missing(tickets):
            with self._embedding:
                missing = self._missing(tickets)
                if missing:
                    fresh = self.embedder.encode([ticket_text(t.subject, t.description) for t in missing])
                    for ticket, row in zip(missing, fresh, strict=True):
                        self.remember(ticket.id, row)
        with self._lock:
            return np.stack([self._vectors[t.id] for t in tickets])


def recent_open_tickets(session: Session, *, window_minutes: int = 60) -> list[Ticket]:
    """The open tickets created within the window, oldest first (at most 300): what a burst is looked for in."""
    since = utcnow() - timedelta(minutes=window_minutes)
    return list(session.scalars(select(Ticket).where(Ticket.status.in_(OPEN), Ticket.created_at >= since)
                                .order_by(Ticket.created_at, Ticket.id).limit(300)))


def detect_major_incident(session: Session, recent_vectors: RecentVectors, vector: Vectors, *,
                          window_minutes: int = 60, min_tickets: int = 3, threshold: float = 0.75,
                          exclude: int | None = None) -> MajorIncident | None:
    """A burst: at least `min_tickets` (this one included) similar open tickets within the window.

    The oldest of them is suggested as the parent incident.
    """
    recent = [t for t in recent_open_tickets(session, window_minutes=window_minutes) if t.id != exclude]
    if len(recent) + 1 < min_tickets:
        return None
    scores = recent_vectors.of(recent) @ np.asarray(vector, dtype=np.float32).reshape(-1)
    similar = [t for t, s in zip(recent, scores, strict=True) if s >= threshold]
    if len(similar) + 1 < min_tickets:
        return None
    return MajorIncident(parent_ticket_id=similar[0].id, similar_open_ticket_ids=[t.id for t in similar],
                         window_minutes=window_minutes)
