"""The audit key and the checkpoint file, both kept outside the database (in DATA_DIR/audit).

The key is DESKPILOT_AUDIT_KEY when set, else DATA_DIR/audit/key, created with mode 0600 on first use.
Like the password hasher, it is configured once per process from Settings (`configure_audit`): the chain
is sealed from a session event that has no Settings to ask. A process that never configured it (a script
importing the services) uses the process settings, never an unkeyed chain.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from deskpilot.audit.chain import key_id
from deskpilot.audit.lanes import use_chains
from deskpilot.config import Settings, get_settings
from deskpilot.errors import InvalidInput

log = logging.getLogger(__name__)

KEY_FILE = "key"
CHECKPOINT_FILE = "checkpoints.jsonl"
MIN_KEY_CHARS = 32


@dataclass(frozen=True)
class AuditKeyring:
    key: bytes
    directory: Path

    @property
    def key_id(self) -> str:
        return key_id(self.key)

    @property
    def checkpoint_path(self) -> Path:
        return self.directory / CHECKPOINT_FILE


def audit_dir(settings: Settings) -> Path:
    return settings.data_dir / "audit"


def load_keyring(settings: Settings) -> AuditKeyring:
    """The key of `settings` (creating the key file on first use) and its checkpoint directory."""
    directory = audit_dir(settings)
    if settings.audit_key:
        return AuditKeyring(settings.audit_key.encode("utf-8"), directory)
    return AuditKeyring(_read_or_create_key(directory / KEY_FILE), directory)


def _read_or_create_key(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return _create_key(path)
    if len(text) < MIN_KEY_CHARS:
        raise InvalidInput(f"the audit key in {path} is shorter than {MIN_KEY_CHARS} characters; restore it "
                           "from a backup (a new key would make every existing audit row fail verification)")
    return text.encode("utf-8")


def _create_key(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return _read_or_create_key(path)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(secret + "\n")
        out.flush()
        os.fsync(out.fileno())
    log.warning("created the audit key %s; back it up with the data directory: without it the audit log "
                "cannot be verified", path)
    return secret.encode("utf-8")


_loader: Callable[[], AuditKeyring] | None = None
_keyring: AuditKeyring | None = None


def configure_audit(settings: Settings) -> None:
    """Seal and verify with the key of `settings`, read (or created) only when first needed: a command that
    audits nothing, like `restore`, must not leave a new key behind; spread commits over its chains."""
    _use(lambda: load_keyring(settings))
    use_chains(settings.audit_chains)


def use_keyring(keyring: AuditKeyring) -> None:
    """Seal and verify with `keyring`."""
    _use(lambda: keyring)


def _use(loader: Callable[[], AuditKeyring]) -> None:
    global _loader, _keyring
    _loader, _keyring = loader, None


def current_keyring() -> AuditKeyring:
    """The configured keyring, or the one of the process settings."""
    global _keyring
    if _keyring is None:
        _keyring = _loader() if _loader is not None else load_keyring(get_settings())
    return _keyring
