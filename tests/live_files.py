"""Reading a live SQLite database's files from a test without breaking the database."""

from __future__ import annotations

import subprocess
from pathlib import Path


def read_elsewhere(path: Path) -> bytes:
    """The bytes of `path`, read by another process. Closing any descriptor of a file drops every POSIX lock this
    process holds on it, SQLite's included: a CLI subprocess closing its last connection then believed it was
    alone on the shared test database, checkpointed and deleted the WAL index this process's pooled connections
    still used, and from then on their writes were invisible to other processes and new connections failed with
    "disk I/O error"."""
    return subprocess.run(["cat", str(path)], check=True, capture_output=True).stdout
