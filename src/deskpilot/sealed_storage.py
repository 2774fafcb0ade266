"""Encryption at rest at the storage seam: message bodies in the database and files in DATA_DIR are sealed with
the keys outside the database (`encryption_keys.py`) as they are written and opened as they are read, so the
areas keep reading and writing plain text.

`SealedText` is the column type of every message body (and AI decision input), `SealedBytes` of stored API
responses; `seal_file` / `open_file` are what the content store writes and reads. Values stored before
encryption are read as they are (a database in the middle of its migration keeps working) until
`privacy/resealing.py` seals them.

The keyring is the one of the process settings, read once. A value sealed with a key this process has not seen
yet (another process rotated the key file) reloads the keys once before it gives up: rotation without downtime.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import LargeBinary, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from deskpilot.config import Settings, get_settings
from deskpilot.encryption_keys import SEALED_FILE_MAGIC, Keyring, sealed_file_key, sealed_text_key, sealing_overhead

_lock = threading.Lock()
_loader: Callable[[], Keyring] | None = None
_keyring: Keyring | None = None


def configure_sealing(settings: Settings) -> None:
    """Seal and open with the keys of `settings`, read when first needed."""
    use_loader(lambda: Keyring.from_settings(settings))


def use_loader(loader: Callable[[], Keyring]) -> None:
    """Seal and open with the keyring `loader` returns (called again when a value names an unknown key)."""
    global _loader, _keyring
    with _lock:
        _loader, _keyring = loader, None


def current_keyring() -> Keyring:
    """The keyring in use, loaded on first use."""
    global _keyring
    with _lock:
        if _keyring is None:
            _keyring = _loader() if _loader is not None else Keyring.from_settings(get_settings())
        return _keyring


def _keyring_with(key_id: str | None) -> Keyring:
    """The keyring, reloaded once when `key_id` is not in it (a key added by another process)."""
    global _keyring
    keyring = current_keyring()
    if key_id is None or key_id in keyring.keys:
        return keyring
    with _lock:
        _keyring = None
    return current_keyring()


def seal_text(value: str) -> str:
    """`value` sealed with the current key; the empty text stays empty (it says nothing)."""
    return current_keyring().seal(value) if value else value


def open_text(value: str) -> str:
    """The text of a stored value, sealed or stored before encryption."""
    key_id = sealed_text_key(value)
    return value if key_id is None else _keyring_with(key_id).open(value)


def seal_file(data: bytes) -> bytes:
    """A file body: `data` sealed with the current key."""
    return current_keyring().seal_bytes(data)


def open_file(data: bytes) -> bytes:
    """The bytes of a stored file body, sealed or stored before encryption."""
    key_id = sealed_file_key(data)
    return data if key_id is None else _keyring_with(key_id).open_bytes(data)


def stored_size(path: Path, plain_size: int) -> int:
    """The size a kept file of `plain_size` bytes has on disk, sealed as its header says or plain."""
    with path.open("rb") as head:
        key_id = sealed_file_key(head.read(len(SEALED_FILE_MAGIC) + 256))
    return plain_size if key_id is None else plain_size + sealing_overhead(key_id)


def text_needs_sealing(value: str | None) -> bool:
    """Whether a stored value is not (yet) sealed with the current key."""
    return bool(value) and sealed_text_key(value or "") != current_keyring().current


def file_needs_sealing(data: bytes) -> bool:
    return sealed_file_key(data) != current_keyring().current


class SealedText(TypeDecorator[str]):
    """Text stored sealed (AES-256-GCM, `enc:v1:<key id>:...`) and read back plain.

    Never compare or match such a column in SQL (`==`, LIKE): every sealing has a new nonce. Filter in Python
    after reading, as the ticket search does."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, _dialect: Dialect) -> str | None:
        return None if value is None else seal_text(value)

    def process_result_value(self, value: str | None, _dialect: Dialect) -> str | None:
        return None if value is None else open_text(value)


class SealedBytes(TypeDecorator[bytes]):
    """Bytes stored sealed like a kept file (a replayed API response that may hold message bodies)."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, _dialect: Dialect) -> bytes | None:
        return None if value is None else seal_file(value)

    def process_result_value(self, value: bytes | None, _dialect: Dialect) -> bytes | None:
        return None if value is None else open_file(value)
