"""The model store: versions, promotion, rollback, loading, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deskpilot.errors import Conflict, NotFound
from deskpilot.ml.artifacts import MANIFEST
from deskpilot.ml.model_store import ModelStore


class NoteModel:
    """A tiny savable model: its 'weights' are one note, with metadata like a real component."""

    def __init__(self, note: str, accuracy: float = 0.5) -> None:
        self.note = note
        self.accuracy = accuracy

    def save(self, directory: Path) -> None:
        (directory / "note.txt").write_text(self.note, encoding="utf-8")
        created = f"2026-01-0{len(self.note) % 9 + 1}T00:00:00+00:00"
        meta = {"created_at": created, "metrics": {"accuracy": self.accuracy}}
        (directory / MANIFEST).write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> NoteModel:
        return cls((directory / "note.txt").read_text(encoding="utf-8"))


@pytest.fixture
def store(tmp_path: Path) -> ModelStore[NoteModel]:
    return ModelStore(tmp_path / "triage", loader=NoteModel.load)


def test_versions_are_numbered_and_listed_with_metrics(store: ModelStore[NoteModel]) -> None:
    assert store.save_version(NoteModel("first", 0.8)) == "v0001"
    assert store.save_version(NoteModel("second", 0.9)) == "v0002"
    listed = store.list_versions()
    assert [v.version for v in listed] == ["v0001", "v0002"]
    assert listed[1].metrics == {"accuracy": 0.9}
    assert listed[0].created_at.startswith("2026-01-")
    assert not any(v.active for v in listed)


def test_promote_makes_a_version_active_and_loadable(store: ModelStore[NoteModel]) -> None:
    store.save_version(NoteModel("first"))
    second = store.save_version(NoteModel("second"))
    store.promote(second)
    assert store.load_active().note == "second"
    assert [v.version for v in store.list_versions() if v.active] == [second]
    assert json.loads((store.root / "active.json").read_text())["active"] == second


def test_rollback_returns_to_the_previously_active_versions_in_order(store: ModelStore[NoteModel]) -> None:
    first = store.save_version(NoteModel("first"), activate=True)
    second = store.save_version(NoteModel("second"), activate=True)
    store.save_version(NoteModel("third"), activate=True)
    assert store.rollback() == second
    assert store.load_active().note == "second"
    assert store.rollback() == first
    with pytest.raises(Conflict, match="no earlier active version"):
        store.rollback()
    assert store.active_version() == first


def test_unknown_versions_and_empty_stores_give_clear_errors(store: ModelStore[NoteModel]) -> None:
    with pytest.raises(NotFound, match="no active model"):
        store.load_active()
    with pytest.raises(Conflict):
        store.rollback()
    store.save_version(NoteModel("first"))
    with pytest.raises(NotFound, match=r"'v0042' not found .*known: v0001"):
        store.promote("v0042")
    with pytest.raises(NotFound):
        store.load_version("../etc")


def test_a_failed_save_leaves_no_version_behind(store: ModelStore[NoteModel]) -> None:
    class Broken:
        def save(self, directory: Path) -> None:
            (directory / "half.bin").write_bytes(b"x")
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        store.save_version(Broken())
    assert store.list_versions() == []
    assert not any(p.name.startswith(".staging") for p in store.root.iterdir())
