"""The runtime's triage engine follows the model store: a version trained or promoted after start-up (by
`deskpilot train triage` or `deskpilot models promote`, in another process) is used by the next triage."""

from __future__ import annotations

import csv
from pathlib import Path

from deskpilot.config import Environment, Settings
from deskpilot.demo import TICKETS_CSV
from deskpilot.triage.engine import CATEGORY_COMPONENT, TriageEngine, store
from deskpilot.triage.similar import ticket_text
from deskpilot.triage.training import train_component
from tests.ml.conftest import TokenHashEmbedder

PER_CATEGORY = 12


def _examples() -> tuple[list[str], list[str]]:
    counts: dict[str, int] = {}
    texts, labels = [], []
    with TICKETS_CSV.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if counts.get(row["category"], 0) < PER_CATEGORY:
                counts[row["category"]] = counts.get(row["category"], 0) + 1
                texts.append(ticket_text(row["subject"], row["description"]))
                labels.append(row["category"])
    return texts, labels


def test_a_model_version_promoted_after_start_up_is_used_by_the_next_triage(tmp_path: Path) -> None:
    settings = Settings(environment=Environment.TEST, data_dir=tmp_path)
    embedder = TokenHashEmbedder()
    engine = TriageEngine(settings, embedder)
    assert engine.models().category is None
    texts, labels = _examples()

    first = train_component(settings, CATEGORY_COMPONENT, texts, labels, embedder=embedder, promote=True,
                            progress=lambda _: None)
    assert engine.models().category_version == first.version
    second = train_component(settings, CATEGORY_COMPONENT, texts, labels, embedder=embedder, promote=False,
                             progress=lambda _: None)
    assert engine.models().category_version == first.version
    store(settings, CATEGORY_COMPONENT).promote(second.version)

    models = engine.models()
    assert models.category_version == second.version and models.category is not None
    assert models.model_version.startswith(f"{CATEGORY_COMPONENT}:{second.version}")
