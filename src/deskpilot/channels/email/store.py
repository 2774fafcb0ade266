"""Raw mails and attachments on disk, addressed by their SHA-256.

Files are written before the database transaction that refers to them commits. Because the name is the
content's hash, a crash in between leaves at most an unreferenced file that the retry writes again,
byte for byte; nothing is ever overwritten with different content.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from deskpilot.channels.email.parse import Attachment


def _write_once(root: Path, relative: str, data: bytes) -> None:
    target = root / relative
    if target.exists() and target.stat().st_size == len(data):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def store_raw(mail_dir: Path, raw: bytes, sha256: str | None = None) -> str:
    """Keep a mail's exact bytes; returns the path relative to `mail_dir`."""
    digest = sha256 or hashlib.sha256(raw).hexdigest()
    relative = f"raw/{digest[:2]}/{digest}.eml"
    _write_once(mail_dir, relative, raw)
    return relative


def read_raw(mail_dir: Path, relative: str) -> bytes:
    """The bytes of a stored mail."""
    return (mail_dir / relative).read_bytes()


def store_attachments(mail_dir: Path, attachments: tuple[Attachment, ...]) -> list[dict[str, Any]]:
    """Keep the attachments within the size limit; describe all of them (skipped ones say so)."""
    described: list[dict[str, Any]] = []
    for attachment in attachments:
        path = None
        if attachment.content is not None:
            path = f"attachments/{attachment.sha256[:2]}/{attachment.sha256}"
            _write_once(mail_dir, path, attachment.content)
        described.append({"filename": attachment.filename, "content_type": attachment.content_type,
                          "size": attachment.size, "inline": attachment.inline, "sha256": attachment.sha256,
                          "stored": path is not None, "path": path,
                          "skipped_reason": None if path else "larger than the attachment size limit"})
    return described
