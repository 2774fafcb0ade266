"""The keys that encrypt data at rest, kept outside the database, and sealing with them (AES-256-GCM).

Keys come from `DESKPILOT_ENCRYPTION_KEYS` (JSON: key id → base64 of 32 bytes; the last one seals) or, when that
is empty, from the key file `DATA_DIR/keys/encryption-keys.json`, written (mode 0600) with a first key on first
use. Every sealed value names the key that sealed it, so a new key can be added while every process still reads
what the old ones sealed: rotation without downtime (`deskpilot privacy rotate-key`).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from deskpilot.config import Settings
from deskpilot.errors import InvalidInput

SEALED_PREFIX = "enc:v1:"
# A sealed file starts with this line, then the key id and a newline, then nonce + ciphertext.
SEALED_FILE_MAGIC = b"deskpilot-sealed-v1\n"
_NONCE_BYTES = 12


def key_file(settings: Settings) -> Path:
    return settings.data_dir / "keys" / "encryption-keys.json"


def _new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _write_keys(path: Path, keys: dict[str, str], *, replace: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(keys, handle)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        if replace:
            temporary.replace(path)
        else:
            # Linking fails when another process wrote the first key meanwhile: theirs is kept.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _read_keys(path: Path) -> dict[str, str]:
    if not path.exists():
        _write_keys(path, {"k1": _new_key()}, replace=False)
    keys: dict[str, str] = json.loads(path.read_text())
    return keys


@dataclass(frozen=True)
class Keyring:
    """Key id → key; `current` seals, every key opens what it sealed."""

    keys: dict[str, bytes]
    current: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        encoded = settings.encryption_keys or _read_keys(key_file(settings))
        try:
            keys = {key_id: base64.b64decode(value, validate=True) for key_id, value in encoded.items()}
        except ValueError as exc:
            raise InvalidInput(f"an encryption key is not base64: {exc}") from None
        if not keys or any(len(key) != 32 for key in keys.values()):
            raise InvalidInput("encryption keys must be 32 bytes each (base64), at least one")
        return cls(keys=keys, current=list(keys)[-1])

    def seal(self, text: str) -> str:
        """`text` encrypted with the current key, as `enc:v1:<key id>:<base64 nonce+ciphertext>`."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = AESGCM(self.keys[self.current]).encrypt(nonce, text.encode(), self.current.encode())
        return f"{SEALED_PREFIX}{self.current}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, value: str) -> str:
        """The text in a sealed value; a value that is not sealed (stored before encryption) is returned as is."""
        if not value.startswith(SEALED_PREFIX):
            return value
        key_id, _, payload = value.removeprefix(SEALED_PREFIX).partition(":")
        key = self._key(key_id)
        blob = base64.b64decode(payload)
        try:
            return AESGCM(key).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], key_id.encode()).decode()
        except InvalidTag:
            raise InvalidInput(f"a stored secret sealed with key {key_id!r} does not open: wrong key or altered "
                               "value (check DESKPILOT_ENCRYPTION_KEYS or the key file in DATA_DIR/keys)") from None


    def seal_bytes(self, data: bytes) -> bytes:
        """`data` encrypted with the current key, as a file body that names the key (`SEALED_FILE_MAGIC`)."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = AESGCM(self.keys[self.current]).encrypt(nonce, data, self.current.encode())
        return SEALED_FILE_MAGIC + self.current.encode() + b"\n" + nonce + sealed

    def open_bytes(self, data: bytes) -> bytes:
        """The bytes in a sealed file body; a body that is not sealed (stored before encryption) is returned as is."""
        key_id = sealed_file_key(data)
        if key_id is None:
            return data
        blob = data[len(SEALED_FILE_MAGIC) + len(key_id) + 1:]
        try:
            return AESGCM(self._key(key_id)).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], key_id.encode())
        except InvalidTag:
            raise InvalidInput(f"a stored file sealed with key {key_id!r} does not open: wrong key or altered "
                               "file (check DESKPILOT_ENCRYPTION_KEYS or the key file in DATA_DIR/keys)") from None

    def _key(self, key_id: str) -> bytes:
        key = self.keys.get(key_id)
        if key is None:
            raise InvalidInput(f"stored data was sealed with key {key_id!r}, which is not configured: restore "
                               "that key in DESKPILOT_ENCRYPTION_KEYS or the key file")
        return key


def sealed_text_key(value: str) -> str | None:
    """The id of the key that sealed `value`, or None when it is not sealed."""
    return value.removeprefix(SEALED_PREFIX).partition(":")[0] if value.startswith(SEALED_PREFIX) else None


def sealing_overhead(key_id: str) -> int:
    """How many bytes sealing a file with `key_id` adds: header, nonce and the GCM tag."""
    return len(SEALED_FILE_MAGIC) + len(key_id.encode()) + 1 + _NONCE_BYTES + 16


def sealed_file_key(data: bytes) -> str | None:
    """The id of the key that sealed a file body, or None when it is not sealed."""
    if not data.startswith(SEALED_FILE_MAGIC):
        return None
    return data[len(SEALED_FILE_MAGIC):].partition(b"\n")[0].decode()


def add_key(settings: Settings) -> str:
    """A new key in the key file, which seals from now on; returns its id. Keys in the environment are
    rotated by adding one there (the last one seals)."""
    if settings.encryption_keys:
        raise InvalidInput("the keys come from DESKPILOT_ENCRYPTION_KEYS: add the new key there (last seals)")
    path = key_file(settings)
    keys = _read_keys(path)
    key_id = f"k{len(keys) + 1}"
    _write_keys(path, {**keys, key_id: _new_key()}, replace=True)
    return key_id
