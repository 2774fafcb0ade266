"""Connector tests install MemoryDesk (tests/connectors/memory_desk.py) through a test distribution."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.entry_points import deskpilot_entry_points, install

__all__ = ["deskpilot_entry_points", "memorydesk_installed"]


@pytest.fixture
def memorydesk_installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return install(monkeypatch, tmp_path / "plugin", "deskpilot-memorydesk",
                   {"deskpilot.connectors": {"memorydesk": "tests.connectors.memory_desk:MemoryDesk"}})
