"""A directory per trained model version, with an atomically-switched pointer to the active one.

Layout under `root` (by default `Settings().model_dir / component`):

    v0001/            what the model's `save(dir)` wrote, including its manifest.json (`ml/artifacts.py`)
    v0002/
    active.json       {"active": "v0002", "history": ["v0001"]}

A version directory is written under a temporary name and renamed into place, so a reader never sees
a half-written model; `active.json` is replaced with `os.replace`, so the pointer is never torn.
`history` is the stack of previously active versions that `rollback()` walks back through.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from deskpilot.config import Settings
from deskpilot.errors import Conflict, NotFound
from deskpilot.ml.artifacts import peek_details

_POINTER = "active.json"
_VERSION_RE = re.compile(r"^v(\d{4,})$")
_MAX_SAVE_ATTEMPTS = 20


class SavableModel(Protocol):
    """Anything that can write itself (weights + manifest.json) into an empty directory."""

    def save(self, directory: Path) -> None: ...


ModelT = TypeVar("ModelT")


@dataclass(frozen=True)
class ModelVersion:
    """One stored version as `list_versions()` reports it."""

    version: str
    created_at: str
    metrics: dict[str, Any] = field(default_factory=dict)
    active: bool = False


class ModelStore(Generic[ModelT]):
    """Saves, lists, promotes, rolls back and loads the versions of one model component."""

    def __init__(self, root: Path, *, loader: Callable[[Path], ModelT]) -> None:
        self.root = root
        self._loader = loader

    @classmethod
    def for_component(
        cls, component: str, *, loader: Callable[[Path], ModelT], settings: Settings | None = None
    ) -> ModelStore[ModelT]:
        """The store of `component` under the configured model directory."""
        return cls((settings or Settings()).model_dir / component, loader=loader)

    def save_version(self, model: SavableModel, *, activate: bool = False) -> str:
        """Write `model` as the next version and return its name; optionally make it active."""
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))
        try:
            model.save(staging)
            version = self._move_into_next_version(staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if activate:
            self.promote(version)
        return version

    def list_versions(self) -> list[ModelVersion]:
        """Every stored version, oldest first, with its creation time, metrics and active flag."""
        active = self._read_pointer().get("active")
        out = []
        for version in self._version_names():
            meta = peek_details(self.root / version)
            out.append(
                ModelVersion(
                    version=version,
                    created_at=str(meta.get("created_at", "")),
                    metrics=dict(meta.get("metrics") or {}),
                    active=version == active,
                )
            )
        return out

    def active_version(self) -> str | None:
        """The name of the active version, or None when nothing was promoted yet."""
        active = self._read_pointer().get("active")
        return str(active) if active else None

    def promote(self, version: str) -> None:
        """Make `version` the active one; the previously active version can be restored by rollback."""
        self._require(version)
        pointer = self._read_pointer()
        current = pointer.get("active")
        if current == version:
            return
        history = list(pointer.get("history", []))
        if current:
            history.append(current)
        self._write_pointer({"active": version, "history": history})

    def rollback(self) -> str:
        """Re-activate the version that was active before the current one and return its name."""
        pointer = self._read_pointer()
        history = [v for v in pointer.get("history", []) if (self.root / v).is_dir()]
        if not history:
            raise Conflict(
                f"no earlier active version to roll back to in {self.root}; "
                "promote a version explicitly with promote(version)"
            )
        previous = str(history.pop())
        self._write_pointer({"active": previous, "history": history})
        return previous

    def discard(self, version: str) -> str | None:
        """Delete `version` for good (it learned from data that was erased); when it was active, the newest
        earlier active version that is left takes over. Returns the active version afterwards."""
        path = self._require(version)
        pointer = self._read_pointer()
        history = [v for v in pointer.get("history", []) if v != version and (self.root / v).is_dir()]
        active = pointer.get("active")
        if active == version:
            active = history.pop() if history else None
        self._write_pointer({"active": active, "history": history})
        shutil.rmtree(path)
        return str(active) if active else None

    def load_active(self) -> ModelT:
        """Load the active version with the store's loader."""
        active = self.active_version()
        if active is None:
            raise NotFound(f"no active model in {self.root}; train one (deskpilot train ...) and promote a version")
        return self._loader(self._require(active))

    def load_version(self, version: str) -> ModelT:
        """Load one named version, active or not."""
        return self._loader(self._require(version))

    def _require(self, version: str) -> Path:
        path = self.root / version
        if not _VERSION_RE.match(version) or not path.is_dir():
            known = ", ".join(self._version_names()) or "none"
            raise NotFound(f"model version {version!r} not found in {self.root} (known: {known})")
        return path

    def _version_names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        names = [p.name for p in self.root.iterdir() if p.is_dir() and _VERSION_RE.match(p.name)]
        return sorted(names, key=lambda name: int(name[1:]))

    def _move_into_next_version(self, staging: Path) -> str:
        # Another process may claim the same number between listing and renaming; try the next one.
        for _ in range(_MAX_SAVE_ATTEMPTS):
            names = self._version_names()
            number = int(names[-1][1:]) + 1 if names else 1
            version = f"v{number:04d}"
            try:
                staging.rename(self.root / version)
            except OSError:
                continue
            return version
        raise Conflict(f"could not allocate a new model version in {self.root}; too many concurrent saves")

    def _read_pointer(self) -> dict[str, Any]:
        path = self.root / _POINTER
        if not path.is_file():
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}

    def _write_pointer(self, pointer: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".active-", suffix=".json", dir=self.root)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(pointer, handle, indent=2)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.root / _POINTER)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
