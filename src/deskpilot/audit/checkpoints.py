"""Signed checkpoints of the audit chain's head, kept outside the database.

A checkpoint (seq, head hash, row count, time, key id, HMAC) is appended to DATA_DIR/audit/checkpoints.jsonl
and written to the log. Rows removed from the end of the table, or the whole table emptied, leave the chain
itself consistent; only a record of the head kept elsewhere shows they are gone.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.audit.chain import GENESIS, sign
from deskpilot.audit.keyring import AuditKeyring
from deskpilot.audit.models import AuditEvent
from deskpilot.audit.redaction import verifies
from deskpilot.audit.verification import ChainProblem
from deskpilot.clock import utcnow
from deskpilot.errors import Conflict

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    head: str
    count: int
    at: datetime
    key_id: str
    mac: str

    def fields(self) -> dict[str, Any]:
        """What the HMAC covers."""
        return {"seq": self.seq, "head": self.head, "count": self.count, "at": self.at.isoformat(),
                "key_id": self.key_id}

    def to_json(self) -> str:
        return json.dumps({**self.fields(), "mac": self.mac}, sort_keys=True)


@dataclass(frozen=True)
class CheckpointLog:
    valid: list[Checkpoint]
    problems: list[ChainProblem]


def take(session: Session, *, keyring: AuditKeyring) -> Checkpoint:
    """Sign the current head and append it to the checkpoint file and the log.

    Cheap (two indexed queries and one HMAC), so it can run at every start-up and sweep. It refuses to anchor
    a head that is not a keyed row of this key or whose seq does not match the row count.
    """
    head = session.scalars(select(AuditEvent).where(AuditEvent.seq > 0).order_by(AuditEvent.seq.desc())
                           .limit(1)).first()
    count = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.seq > 0)) or 0
    if head is not None and (head.seq != count or not verifies(head, keyring.key)):
        raise Conflict("the audit chain's newest row does not verify, so no checkpoint was written: "
                       "run `deskpilot audit verify`")
    fields = {"seq": head.seq if head else 0, "head": head.hash if head else GENESIS, "count": count,
              "at": utcnow().isoformat(), "key_id": keyring.key_id}
    checkpoint = _parse({**fields, "mac": sign(keyring.key, fields)})
    keyring.directory.mkdir(parents=True, exist_ok=True)
    with open(keyring.checkpoint_path, "a", encoding="utf-8") as out:
        out.write(checkpoint.to_json() + "\n")
        out.flush()
        os.fsync(out.fileno())
    log.info("audit checkpoint %s", checkpoint.to_json())
    return checkpoint


def _parse(data: dict[str, Any]) -> Checkpoint:
    return Checkpoint(seq=int(data["seq"]), head=str(data["head"]), count=int(data["count"]),
                      at=datetime.fromisoformat(str(data["at"])), key_id=str(data["key_id"]), mac=str(data["mac"]))


def read(keyring: AuditKeyring) -> CheckpointLog:
    """The checkpoints whose signature holds; every other line is a problem (forged, edited, another key)."""
    valid: list[Checkpoint] = []
    problems: list[ChainProblem] = []
    try:
        lines = keyring.checkpoint_path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return CheckpointLog(valid, [])
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            checkpoint = _parse(json.loads(line))
        except (ValueError, KeyError, TypeError):
            problems.append(ChainProblem(0, None, f"checkpoint line {number} is unreadable"))
            continue
        if checkpoint.key_id != keyring.key_id:
            problems.append(ChainProblem(checkpoint.seq, None, f"checkpoint line {number} was signed with another "
                                         f"audit key (key id {checkpoint.key_id}, this key is {keyring.key_id})"))
        elif sign(keyring.key, checkpoint.fields()) != checkpoint.mac:
            problems.append(ChainProblem(checkpoint.seq, None, f"checkpoint line {number} does not match its "
                                         "signature (forged or edited)"))
        else:
            valid.append(checkpoint)
    return CheckpointLog(valid, problems)
