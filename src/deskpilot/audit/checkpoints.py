"""Signed checkpoints of the audit chains' heads, kept outside the database.

A checkpoint (each chain's seq, head hash and row count; time, key id, HMAC) is appended to
DATA_DIR/audit/checkpoints.jsonl and written to the log. Rows removed from the end of a chain, or the whole
table emptied, leave each chain itself consistent; only a record of the heads kept elsewhere shows they are
gone.
"""

from __future__ import annotations

import json
import logging
import os
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.audit.chain import GENESIS, sign
from deskpilot.audit.keyring import AuditKeyring
from deskpilot.audit.models import AuditEvent
from deskpilot.audit.redaction import verifies
from deskpilot.audit.verification import Anchor, ChainProblem
from deskpilot.clock import utcnow
from deskpilot.errors import Conflict

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChainHead:
    seq: int
    head: str
    count: int


@dataclass(frozen=True)
class Checkpoint:
    """The heads of every chain at one moment. Chain 0's head is the line's own seq/head/count, as in the
    checkpoints written before there were several chains; the other chains' are under "chains"."""

    seq: int
    head: str
    count: int
    at: datetime
    key_id: str
    mac: str
    chains: dict[int, ChainHead] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        """What the HMAC covers."""
        fields: dict[str, Any] = {"seq": self.seq, "head": self.head, "count": self.count,
                                  "at": self.at.isoformat(), "key_id": self.key_id}
        if self.chains:
            fields["chains"] = {str(chain): {"seq": h.seq, "head": h.head, "count": h.count}
                                for chain, h in sorted(self.chains.items())}
        return fields

    def to_json(self) -> str:
        return json.dumps({**self.fields(), "mac": self.mac}, sort_keys=True)

    def anchors(self) -> dict[int, Anchor]:
        """What this checkpoint says each chain held."""
        heads = {0: ChainHead(self.seq, self.head, self.count), **self.chains}
        return {chain: Anchor(h.seq, h.head, h.count, self.at) for chain, h in heads.items()}


@dataclass(frozen=True)
class CheckpointLog:
    valid: list[Checkpoint]
    problems: list[ChainProblem]

    def anchors(self) -> dict[int, list[Anchor]]:
        """Per chain, what the valid checkpoints say it held."""
        by_chain: dict[int, list[Anchor]] = defaultdict(list)
        for checkpoint in self.valid:
            for chain, anchor in checkpoint.anchors().items():
                by_chain[chain].append(anchor)
        return dict(by_chain)


def _heads(session: Session, key: bytes) -> dict[int, ChainHead]:
    """Each chain's newest row and row count; Conflict when a head does not verify or its seq is not the count
    (then the chain was tampered with, and anchoring it would vouch for that)."""
    heads: dict[int, ChainHead] = {}
    counted = session.execute(select(AuditEvent.chain, func.max(AuditEvent.seq), func.count())
                              .where(AuditEvent.seq > 0).group_by(AuditEvent.chain)).all()
    for chain, last, count in counted:
        head = session.scalars(select(AuditEvent).where(AuditEvent.chain == chain, AuditEvent.seq == last)).one()
        if last != count or not verifies(head, key):
            raise Conflict(f"the newest row of audit chain {chain} does not verify, so no checkpoint was written: "
                           "run `deskpilot audit verify`")
        heads[chain] = ChainHead(last, head.hash, count)
    return heads


def take(session: Session, *, keyring: AuditKeyring) -> Checkpoint:
    """Sign every chain's head into one line appended to the checkpoint file and the log.

    Cheap (one grouped count, an indexed read and an HMAC per chain), so it can run at every start-up and
    sweep. It refuses to anchor a head that is not a keyed row of this key or whose seq is not its chain's
    row count.
    """
    heads = _heads(session, keyring.key)
    first = heads.pop(0, ChainHead(0, GENESIS, 0))
    unsigned = Checkpoint(seq=first.seq, head=first.head, count=first.count, at=utcnow(), key_id=keyring.key_id,
                          mac="", chains=heads)
    checkpoint = replace(unsigned, mac=sign(keyring.key, unsigned.fields()))
    keyring.directory.mkdir(parents=True, exist_ok=True)
    with open(keyring.checkpoint_path, "a", encoding="utf-8") as out:
        out.write(checkpoint.to_json() + "\n")
        out.flush()
        os.fsync(out.fileno())
    log.info("audit checkpoint %s", checkpoint.to_json())
    return checkpoint


def _parse(data: dict[str, Any]) -> Checkpoint:
    chains = {int(chain): ChainHead(int(h["seq"]), str(h["head"]), int(h["count"]))
              for chain, h in dict(data.get("chains") or {}).items()}
    return Checkpoint(seq=int(data["seq"]), head=str(data["head"]), count=int(data["count"]),
                      at=datetime.fromisoformat(str(data["at"])), key_id=str(data["key_id"]), mac=str(data["mac"]),
                      chains=chains)


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
        except (ValueError, KeyError, TypeError, AttributeError):
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
