"""Connector tests: MemoryDesk through a test distribution, this checkout's connectors, and the CLI's environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.conftest import TEST_AUDIT_KEY
from tests.entry_points import deskpilot_entry_points, install

__all__ = ["cli_env", "deskpilot_entry_points", "memorydesk_installed"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def memorydesk_installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return install(monkeypatch, tmp_path / "plugin", "deskpilot-memorydesk",
                   {"deskpilot.connectors": {"memorydesk": "tests.connectors.memory_desk:MemoryDesk"}})


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, session: Session, tmp_path: Path,
            deskpilot_entry_points: Path) -> dict[str, str]:
    """The CLI's environment for this test's database, with this checkout's connectors installed."""
    del session  # the fixture empties the database first
    env = {"DESKPILOT_DATABASE_URL": database_url, "DESKPILOT_DATA_DIR": str(tmp_path / "var"),
           "DESKPILOT_AUDIT_KEY": TEST_AUDIT_KEY, "DESKPILOT_PASSWORD_TIME_COST": "1",
           "DESKPILOT_PASSWORD_MEMORY_KIB": "64"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env | {"PYTHONPATH": os.pathsep.join([str(deskpilot_entry_points), str(ROOT / "src"), str(ROOT)])}
