"""A small triage model trained once per test session on the demo history, and the demo categories."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy.orm import Session

from deskpilot.config import Environment, Settings
from deskpilot.demo import TICKETS_CSV
from deskpilot.ml.embeddings import load_embedder
from deskpilot.runtime import build_runtime
from deskpilot.triage import categories
from deskpilot.triage.engine import CATEGORY_COMPONENT, TriageEngine
from deskpilot.triage.similar import ticket_text
from deskpilot.triage.taxonomy_schemas import CategoryCreate
from deskpilot.triage.training import train_component
from tests.factories import SYSTEM, Desk

PER_CATEGORY = 25
DEMO_CATEGORIES = ("Network & VPN", "Identity & Access", "Access requests", "E-mail & Collaboration", "Hardware",
                   "Software & Licences", "Printing", "Security incident", "Business applications",
                   "Files & Storage", "Purchasing", "General enquiry")


@pytest.fixture(scope="session")
def triage_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose model store holds an active category model trained on up to 25 demo tickets per category."""
    settings = Settings(environment=Environment.TEST, data_dir=tmp_path_factory.mktemp("triage-var"))
    counts: dict[str, int] = {}
    texts, labels = [], []
    with TICKETS_CSV.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if counts.get(row["category"], 0) < PER_CATEGORY:
                counts[row["category"]] = counts.get(row["category"], 0) + 1
                texts.append(ticket_text(row["subject"], row["description"]))
                labels.append(row["category"])
    train_component(settings, CATEGORY_COMPONENT, texts, labels, embedder=load_embedder(settings.embedding_model),
                    promote=True, progress=lambda _: None)
    return settings


@pytest.fixture(scope="session")
def triage_engine(triage_settings: Settings) -> TriageEngine:
    """The triage engine of one AI runtime over `triage_settings`, shared by the session's tests."""
    return build_runtime(triage_settings).triage


def seed_categories(session: Session, desk: Desk) -> None:
    routes = {"Hardware": desk.service_desk, "Network & VPN": desk.network}
    for name in DEMO_CATEGORIES:
        queue = routes.get(name)
        categories.create(session, actor=SYSTEM, data=CategoryCreate(name=name,
                                                                     default_queue_id=queue.id if queue else None))


