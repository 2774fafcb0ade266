"""One contract for every saved model and index: a directory with one `manifest.json`.

The manifest names what the artifact is (`kind`) and which `format_version` wrote it, the embedder whose vectors
or features are inside (`embedder_model_id`; null when none are) and the `thresholds` tuned to that embedder,
which travel with the artifact so it is always used with the values it was tuned for. The rest are the kind's
own details (counts, parameters, metrics, the deskpilot version that wrote it). Every artifact kind is read
through `read_manifest`, and anything it cannot use (missing, another kind or format version, another
embedder's vectors) is refused with one error, `ArtifactRefused`, whose message says what to do.

Kinds: the triage and chat-intent classifiers (`ml/text_classifier.py`), the KB index and its parts (BM25,
vectors, titles, multilingual vectors, question history), the similar-tickets vectors and the span scorer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deskpilot import __version__
from deskpilot.errors import ProviderError

MANIFEST = "manifest.json"
_CONTRACT = ("kind", "format_version", "embedder_model_id", "thresholds")


class ArtifactRefused(ProviderError):
    """A saved model or index this deskpilot cannot use; the message names the artifact and what to do."""


@dataclass(frozen=True)
class ArtifactKind:
    """One kind of artifact: its name and current format version, what to call it and how to remake it."""

    name: str
    format_version: int
    what: str
    remedy: str


@dataclass(frozen=True)
class Manifest:
    """What `read_manifest` found: the contract's fields and the kind's own details."""

    kind: str
    format_version: int
    embedder_model_id: str | None
    thresholds: dict[str, float] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The whole manifest as written."""
        return {"kind": self.kind, "format_version": self.format_version,
                "embedder_model_id": self.embedder_model_id, "thresholds": dict(self.thresholds), **self.details}


def write_manifest(directory: Path, kind: ArtifactKind, *, embedder_model_id: str | None,
                   thresholds: dict[str, float] | None = None, details: dict[str, Any] | None = None) -> None:
    """Write `directory`'s manifest for an artifact of `kind` made with `embedder_model_id` (None: no embedder)."""
    extra = {k: v for k, v in (details or {}).items() if k not in _CONTRACT}
    manifest = {"kind": kind.name, "format_version": kind.format_version, "embedder_model_id": embedder_model_id,
                "thresholds": dict(thresholds or {}), **extra}
    manifest["deskpilot_version"] = __version__
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")


def read_manifest(directory: Path, kind: ArtifactKind, *, embedder_model_id: str | None) -> Manifest:
    """The manifest of `directory`, checked against `kind` and the embedder in use (None: an artifact made
    without one); ArtifactRefused names what is wrong and what to do."""
    path = directory / MANIFEST
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ArtifactRefused(f"{directory}: not {kind.what} (no {MANIFEST}); {kind.remedy}") from exc
    except (OSError, ValueError) as exc:
        raise ArtifactRefused(f"{directory}: unreadable {MANIFEST} ({exc}); {kind.remedy}") from exc
    if not isinstance(raw, dict) or raw.get("kind") != kind.name or raw.get("format_version") != kind.format_version:
        found = raw if isinstance(raw, dict) else {}
        raise ArtifactRefused(
            f"{directory}: {found.get('kind')!r} format version {found.get('format_version')!r}, written by "
            f"deskpilot {found.get('deskpilot_version', 'unknown')}, cannot be read by deskpilot {__version__} "
            f"(expects {kind.name!r} format version {kind.format_version}); {kind.remedy}")
    if raw.get("embedder_model_id") != embedder_model_id:
        raise ArtifactRefused(
            f"{directory}: {kind.what} made with embedder {raw.get('embedder_model_id')!r}, but "
            f"{embedder_model_id!r} is in use; {kind.remedy}")
    thresholds = raw.get("thresholds") or {}
    return Manifest(kind=kind.name, format_version=kind.format_version, embedder_model_id=embedder_model_id,
                    thresholds={str(k): float(v) for k, v in thresholds.items()},
                    details={k: v for k, v in raw.items() if k not in _CONTRACT})


def peek_details(directory: Path) -> dict[str, Any]:
    """A manifest's fields without any check, for listings (versions, metrics); empty when unreadable."""
    try:
        raw = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return raw if isinstance(raw, dict) else {}
