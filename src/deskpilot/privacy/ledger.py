"""The erasure ledger: the rule that a restore never brings an erased person back.

Backups are archives anywhere outside the desk (`deskpilot backup`), so an erasure cannot reach into them.
Instead, when an erasure starts, one line is appended to the ledger (`Settings.erasure_ledger_path`): the
erasure's id, the account's id, and keyed digests (HMAC-SHA256 under the audit key, `personal_data.seal`) of
the account's e-mail and of the identifiers the request added (phone, employee number), never the identifiers
themselves. A restore keeps the desk's ledger (merged with the archive's), and `reapply` files an approved
erasure for every ledger entry whose account is back as it was, its e-mail matching the digest; the
`privacy.erase` job runs it like any other, scrubbing the added identifiers by their digests
(`Erasure.sealed`). `deskpilot restore` does both at once; the job also re-applies at each tick, so a
database restored by other means is caught within a minute.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.models import User
from deskpilot.audit import service as audit
from deskpilot.audit.keyring import load_keyring
from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.personal_data import Person, seal
from deskpilot.privacy.enums import ErasureStatus
from deskpilot.privacy.models import ErasureRequest

LEDGER = "erasure ledger"
OPEN = (ErasureStatus.APPROVED, ErasureStatus.RUNNING)


@dataclass(frozen=True)
class LedgerEntry:
    erasure_id: int
    user_id: int
    started_at: str
    account: str
    sealed: list[str]


def seal_key(settings: Settings) -> bytes:
    return load_keyring(settings).key


def record(settings: Settings, *, erasure_id: int, person: Person, extra: Sequence[str]) -> None:
    """Append the erasure's entry (durably: it is what stops a restore from undoing the erasure), unless the
    ledger already holds it."""
    key = seal_key(settings)
    entry = LedgerEntry(erasure_id=erasure_id, user_id=person.user_id, started_at=utcnow().isoformat(),
                        account=seal(key, person.email), sealed=sorted({seal(key, term) for term in extra}))
    path = settings.erasure_ledger_path
    if any((known.user_id, known.account) == (entry.user_id, entry.account) and set(entry.sealed) <= set(known.sealed)
           for known in entries(path)):
        return  # a resumed erasure, or one the ledger re-applies
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, (json.dumps(asdict(entry), sort_keys=True) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def entries(path: Path) -> list[LedgerEntry]:
    """The ledger's entries, oldest first; a line cut short by a crash is skipped."""
    found: list[LedgerEntry] = []
    if not path.exists():
        return found
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            found.append(LedgerEntry(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    return found


def reapply(session: Session, settings: Settings) -> list[int]:
    """File an approved erasure for every ledger entry whose account is back un-erased (a restore of an
    older backup); the ids of the requests filed."""
    key, filed = seal_key(settings), []
    for entry in entries(settings.erasure_ledger_path):
        user = session.get(User, entry.user_id)
        if user is None or user.username == f"erased-{user.id}" or seal(key, user.email) != entry.account:
            continue
        if session.scalar(select(ErasureRequest.id).where(ErasureRequest.user_id == user.id,
                                                          ErasureRequest.status.in_(OPEN))) is not None:
            continue
        request = ErasureRequest(
            user_id=user.id, status=ErasureStatus.APPROVED, identifiers=[],
            person={"user_id": user.id, "username": user.username, "email": user.email,
                    "full_name": user.full_name, "sealed": entry.sealed},
            requested_by=LEDGER, approved_by=LEDGER, approved_at=utcnow(), done_steps=[], changes=[])
        session.add(request)
        session.flush()
        audit.record(session, actor_id=None, actor_name="system", action="privacy.erasure_reapplied",
                     subject_type="user", subject_id=user.id,
                     after={"erasure_id": request.id, "ledger_erasure_id": entry.erasure_id})
        filed.append(request.id)
    return filed

