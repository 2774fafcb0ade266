"""Two triage category models trained once per session on the demo history: a good one, and a degraded one
that never learned "Access requests" (its examples were labelled Hardware). Both use character n-grams only,
so they load whatever embedder a process has, and a test stores them as versions of its own model store."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import User
from deskpilot.config import Environment, Settings
from deskpilot.demo import TICKETS_CSV
from deskpilot.ml.text_classifier import ClassifierConfig, TextClassifier
from deskpilot.tickets.enums import Priority, TicketStatus
from deskpilot.tickets.models import Ticket
from deskpilot.triage.engine import CATEGORY_COMPONENT, store
from deskpilot.triage.similar import ticket_text
from tests.factories import make_user

PER_CATEGORY = 12
DEGRADED = "Access requests"


@dataclass(frozen=True)
class HistoryRow:
    subject: str
    description: str
    category: str
    priority: str


def demo_rows(per_category: int = PER_CATEGORY) -> list[HistoryRow]:
    counts: dict[str, int] = {}
    rows = []
    with TICKETS_CSV.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if counts.get(row["category"], 0) < per_category:
                counts[row["category"]] = counts.get(row["category"], 0) + 1
                rows.append(HistoryRow(row["subject"], row["description"], row["category"], row["priority"]))
    return rows


@dataclass(frozen=True)
class Models:
    good: TextClassifier
    degraded: TextClassifier


@pytest.fixture(scope="session")
def trained_models() -> Models:
    rows = demo_rows()
    texts = [ticket_text(r.subject, r.description) for r in rows]
    config = ClassifierConfig(embeddings=False)
    good = TextClassifier(config).train(texts, [r.category for r in rows])
    degraded = TextClassifier(config).train(texts, ["Hardware" if r.category == DEGRADED else r.category
                                                    for r in rows])
    return Models(good, degraded)


@pytest.fixture
def model_settings(tmp_path: Path, trained_models: Models) -> Settings:
    """Settings whose model store holds v0001 = the good model (active) and v0002 = the degraded one."""
    settings = Settings(environment=Environment.TEST, data_dir=tmp_path)
    models = store(settings, CATEGORY_COMPONENT)
    models.save_version(trained_models.good, activate=True)
    models.save_version(trained_models.degraded)
    return settings


def resolved_history(session: Session, requester: User | None = None) -> list[Ticket]:
    """The demo rows as resolved tickets of one requester (no queue), committed."""
    requester = requester or make_user(session, "alice", Role.REQUESTER)
    tickets = [Ticket(subject=r.subject, description=r.description, category=r.category,
                      priority=Priority(r.priority), status=TicketStatus.RESOLVED, requester_id=requester.id)
               for r in demo_rows()]
    session.add_all(tickets)
    session.commit()
    return tickets
