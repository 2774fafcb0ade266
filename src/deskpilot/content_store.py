"""Files kept on disk under their SHA-256, written once, sealed with the keys outside the database
(`sealed_storage.py`); `read` gives the plain bytes back.

A file is written before the database transaction that refers to it commits. Because the name is the
content's hash, a crash in between leaves at most an unreferenced file that the retry writes again, byte
for byte; nothing is ever overwritten with different content.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from deskpilot.sealed_storage import open_file, seal_file, stored_size


def content_path(prefix: str, sha256: str) -> str:
    """The relative path of content with this digest under `prefix` (fanned out by the first two hex digits)."""
    return f"{prefix}/{sha256[:2]}/{sha256}"


def write_once(root: Path, relative: str, data: bytes) -> None:
    """Write `data` sealed to `root/relative` atomically (temporary file, fsync, rename), unless it is already
    there (sealed or, stored before encryption, plain)."""
    target = root / relative
    if target.exists() and target.stat().st_size == stored_size(target, len(data)):
        return
    replace(target, seal_file(data))


def replace(target: Path, stored: bytes) -> None:
    """Put `stored` (a file body as kept) at `target` atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(stored)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def store(root: Path, prefix: str, data: bytes) -> tuple[str, str]:
    """Keep `data` under `root/prefix`; returns (relative path, SHA-256)."""
    digest = hashlib.sha256(data).hexdigest()
    relative = content_path(prefix, digest)
    write_once(root, relative, data)
    return relative, digest


def read(path: Path) -> bytes:
    """The plain bytes of a kept file."""
    return open_file(path.read_bytes())
