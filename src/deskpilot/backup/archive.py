"""The backup archive: a gzipped tar of a manifest (version, schema revision, checksums) and the files it names."""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from deskpilot.errors import InvalidInput

FORMAT = "deskpilot-backup/1"
MANIFEST = "manifest.json"
DATA = "data"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Manifest:
    format: str
    deskpilot_version: str
    schema_revision: str
    database: str
    database_file: str
    audit_key_id: str
    created_at: str
    files: dict[str, str]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, *, archive: Path) -> Manifest:
        try:
            data = json.loads(text)
            manifest = cls(**data)
        except (ValueError, TypeError) as exc:
            raise InvalidInput(f"{archive}: the manifest is not a deskpilot backup manifest ({exc})") from exc
        if manifest.format != FORMAT:
            raise InvalidInput(f"{archive}: archive format {manifest.format!r}; this deskpilot reads {FORMAT!r}")
        return manifest


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def staged_files(staging: Path) -> dict[str, str]:
    """Every file under `staging` by its archive name, with its checksum."""
    return {path.relative_to(staging).as_posix(): sha256_of(path)
            for path in sorted(staging.rglob("*")) if path.is_file()}


def write(output: Path, staging: Path, manifest: Manifest, progress: Progress) -> None:
    """Write the archive next to `output` and move it into place when complete (readable by the owner only)."""
    partial = output.with_name(output.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(descriptor)
    (staging / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
        tar.add(staging / MANIFEST, arcname=MANIFEST)
        for number, name in enumerate(manifest.files, start=1):
            tar.add(staging / name, arcname=name)
            if number % 200 == 0 or number == len(manifest.files):
                progress(f"archive: {number} of {len(manifest.files)} files written")
    os.replace(partial, output)


def unpack(archive: Path, into: Path, progress: Progress) -> Manifest:
    """Extract `archive` into `into` and check it whole: a readable manifest, every file present and unchanged."""
    progress(f"archive: reading {archive}")
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(into, filter="data")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise InvalidInput(f"{archive} is not a readable deskpilot backup (corrupt or truncated: {exc})") from exc
    try:
        manifest = Manifest.from_json((into / MANIFEST).read_text(encoding="utf-8"), archive=archive)
    except FileNotFoundError as exc:
        raise InvalidInput(f"{archive} has no {MANIFEST}: not a deskpilot backup") from exc
    found = staged_files(into)
    found.pop(MANIFEST, None)
    for name, checksum in manifest.files.items():
        if found.get(name) != checksum:
            state = "missing" if name not in found else "changed (checksum mismatch)"
            raise InvalidInput(f"{archive} is corrupt: {name} is {state}; nothing was restored")
    extra = sorted(set(found) - set(manifest.files))
    if extra:
        raise InvalidInput(f"{archive} holds files its manifest does not list ({', '.join(extra[:3])}); "
                           "nothing was restored")
    progress(f"archive: {len(found)} files verified against the manifest")
    return manifest
