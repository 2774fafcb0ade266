"""Entry points without installing: a distribution's metadata written to a directory put on sys.path.

The shared virtual environment holds an older install of deskpilot, and reinstalling it there is not
ours to do, so these fixtures show the registries what installing would: a `deskpilot` distribution with
this checkout's entry points (pyproject.toml), which shadows the installed one, or a small test plug-in.
The registries read them through importlib.metadata exactly as they read a real install.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

import pytest

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
Groups = Mapping[str, Mapping[str, str]]


def write_distribution(directory: Path, name: str, groups: Groups) -> Path:
    """A `name` distribution declaring `groups` of entry points, in `directory` (returned)."""
    info = directory / f"{name}-0.0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.0.0\n")
    sections = [f"[{group}]\n" + "".join(f"{point} = {target}\n" for point, target in points.items())
                for group, points in groups.items()]
    (info / "entry_points.txt").write_text("\n".join(sections))
    return directory


def project_entry_points() -> dict[str, dict[str, str]]:
    """The entry point groups this checkout's pyproject.toml declares."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    return {group: dict(points) for group, points in project["entry-points"].items()}


def install(monkeypatch: pytest.MonkeyPatch, directory: Path, name: str, groups: Groups) -> Path:
    """Make `name` with `groups` visible to importlib.metadata for this test; returns its directory."""
    site = write_distribution(directory, name, groups)
    monkeypatch.syspath_prepend(str(site))
    return site


@pytest.fixture
def deskpilot_entry_points(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """This checkout's entry points, visible as the installed `deskpilot` distribution; returns the directory."""
    return install(monkeypatch, tmp_path / "deskpilot-site", "deskpilot", project_entry_points())
