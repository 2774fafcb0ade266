"""The `manifest.json` every saved index or model directory carries: what it is and which format it has."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from deskpilot.errors import InvalidInput


def write_manifest(directory: Path, manifest: dict[str, Any]) -> None:
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def read_manifest(directory: Path, *, kind: str, format_version: int, what: str, remedy: str) -> dict[str, Any]:
    """The manifest of `directory`, or InvalidInput naming what it is instead and what to do (`remedy`)."""
    path = directory / "manifest.json"
    if not path.is_file():
        raise InvalidInput(f"{directory}: not {what} (no manifest.json)")
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("kind") != kind or manifest.get("format_version") != format_version:
        raise InvalidInput(
            f"{directory}: format {manifest.get('kind')} v{manifest.get('format_version')} cannot be read by this "
            f"version (expects {kind} v{format_version}); {remedy}"
        )
    return manifest
