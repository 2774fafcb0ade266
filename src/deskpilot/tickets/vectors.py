"""Use cases of the ticket vectors: read the stored vectors of some tickets, store one (replacing an older one of
the same model), and delete them when the ticket's text goes (erasure, retention).

The vectors are float32 rows; this area keeps them as bytes with their dimension and knows nothing of how they
were made (triage embeds, `triage.similar` reads them)."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from deskpilot.clock import utcnow
from deskpilot.tickets.vector_models import TicketVector

Vector = npt.NDArray[np.float32]
_CHUNK = 500


def content_hash(subject: str, description: str) -> str:
    """The hash of a ticket's text as stored: a vector stored under another hash is of an older text."""
    return hashlib.sha256(f"{subject}\x00{description}".encode()).hexdigest()


@dataclass(frozen=True)
class StoredVector:
    text_hash: str
    vector: Vector


def get_all(session: Session, *, model_id: str, ticket_ids: Collection[int]) -> dict[int, StoredVector]:
    """ticket id → stored vector of `model_id`, for those of `ticket_ids` that have one."""
    found: dict[int, StoredVector] = {}
    ids = sorted(set(ticket_ids))
    for first in range(0, len(ids), _CHUNK):
        rows = session.execute(select(TicketVector.ticket_id, TicketVector.text_hash, TicketVector.dimension,
                                      TicketVector.vector)
                               .where(TicketVector.model_id == model_id,
                                      TicketVector.ticket_id.in_(ids[first:first + _CHUNK])))
        for ticket_id, text_hash, dimension, raw in rows:
            vector = np.frombuffer(raw, dtype=np.float32)
            if vector.shape == (dimension,):
                found[ticket_id] = StoredVector(text_hash, vector)
    return found


def put(session: Session, *, ticket_id: int, model_id: str, text_hash: str, vector: Vector) -> None:
    """Store the vector of a ticket's text under `text_hash`, replacing the ticket's earlier one of `model_id`.

    Two processes storing the same ticket's vector at once both succeed (the last one wins): an insert that
    meets the other's row updates it instead of failing the caller's transaction."""
    row = np.asarray(vector, dtype=np.float32).reshape(-1)
    values = {"ticket_id": ticket_id, "model_id": model_id, "text_hash": text_hash, "dimension": int(row.shape[0]),
              "vector": row.tobytes(), "created_at": utcnow()}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(TicketVector).values(**values)
    session.execute(statement.on_conflict_do_update(
        index_elements=["ticket_id", "model_id"],
        set_={key: statement.excluded[key] for key in ("text_hash", "dimension", "vector", "created_at")}))


def delete_for(session: Session, *, ticket_ids: Collection[int]) -> int:
    """Delete every vector of these tickets (their text was erased or expired); how many."""
    ids = sorted(set(ticket_ids))
    deleted = 0
    for first in range(0, len(ids), _CHUNK):
        result = session.execute(delete(TicketVector).where(TicketVector.ticket_id.in_(ids[first:first + _CHUNK])),
                                 execution_options={"synchronize_session": False})
        deleted += int(getattr(result, "rowcount", 0) or 0)
    return deleted
