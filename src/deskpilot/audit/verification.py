"""Walking one audit chain in order: what a row must satisfy, and what the signed checkpoints say must exist."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from deskpilot.audit.chain import GENESIS, KEYED_MARKER, legacy_row_hash, row_hash
from deskpilot.audit.models import AuditEvent


def keyed_hash(event: AuditEvent, key: bytes) -> str:
    """The keyed hash `event` must carry."""
    return row_hash(key=key, prev_hash=event.prev_hash, seq=event.seq, at=event.at, actor_id=event.actor_id,
                    actor_name=event.actor_name, action=event.action, subject_type=event.subject_type,
                    subject_id=event.subject_id, before=event.before, after=event.after, chain=event.chain)


def is_legacy(event: AuditEvent) -> bool:
    """Whether the row carries the unkeyed hash of the chain before migration 0013 (only chain 0 has them)."""
    return event.chain == 0 and event.hash == legacy_row_hash(
        prev_hash=event.prev_hash, seq=event.seq, at=event.at, actor_id=event.actor_id,
        actor_name=event.actor_name, action=event.action, subject_type=event.subject_type,
        subject_id=event.subject_id, before=event.before, after=event.after)


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    row_id: int | None
    problem: str
    chain: int = 0


@dataclass(frozen=True)
class Anchor:
    """What a signed checkpoint recorded of one chain: its newest row and how many rows it had."""

    seq: int
    head: str
    count: int
    at: datetime


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    problems: list[ChainProblem]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class ChainWalk:
    """The state of one pass over one chain's rows, oldest first; `finish` adds what only the end can tell.
    `label` names the chain in what only the end can tell ("the table" while there is one chain)."""

    key: bytes
    anchors: Sequence[Anchor]
    chain: int = 0
    label: str = "the table"
    checked: int = 0
    problems: list[ChainProblem] = field(default_factory=list)
    _prev_hash: str = GENESIS
    _expected_seq: int = 1
    _last_seq: int = 0
    _legacy_rows: int = 0
    _keyed_from: int | None = None
    _anchored: set[int] = field(default_factory=set)

    @property
    def may_be_legacy(self) -> bool:
        """Unkeyed rows are accepted only in chain 0, before its first keyed row."""
        return self.chain == 0 and self._keyed_from is None

    def visit(self, event: AuditEvent, *, keyed: bool, legacy: bool) -> None:
        """Check one row: its place, its link to the row before, its keyed hash, and any checkpoint at it."""
        self.checked += 1
        if event.seq != self._expected_seq:
            kind = ("missing rows before it (removed)" if event.seq > self._expected_seq
                    else "out of order (reordered)")
            self._problem(event, f"sequence {event.seq} where {self._expected_seq} was expected: {kind}")
        if event.prev_hash != self._prev_hash:
            self._problem(event, "does not chain onto the row before it (a row was removed, inserted or reordered)")
        if keyed:
            self._first_keyed(event)
        elif legacy:
            self._legacy_rows += 1
        else:
            self._problem(event, "content was edited, or its hash recomputed without the audit key (hash mismatch)")
        self._check_anchor(event)
        self._prev_hash, self._expected_seq, self._last_seq = event.hash, event.seq + 1, event.seq

    def _first_keyed(self, event: AuditEvent) -> None:
        if self._keyed_from is not None:
            return
        self._keyed_from = event.seq
        vouched = event.action == KEYED_MARKER and (event.after or {}).get("legacy_rows") == self._legacy_rows
        if self._legacy_rows and not vouched:
            self._problem(event, f"the first keyed row does not vouch for the {self._legacy_rows} unkeyed rows "
                                 "before it (rows were inserted in front of the keyed chain)")

    def _check_anchor(self, event: AuditEvent) -> None:
        for anchor in self.anchors:
            if anchor.seq != event.seq:
                continue
            self._anchored.add(anchor.seq)
            if anchor.head != event.hash:
                self._problem(event, f"differs from the checkpoint of {anchor.at.isoformat()}: the chain up to "
                                     "here was rewritten")
            elif anchor.count != self.checked:
                self._problem(event, f"the checkpoint of {anchor.at.isoformat()} counted {anchor.count} rows up "
                                     f"to here, there are {self.checked}")

    def finish(self) -> list[ChainProblem]:
        """The problems found, plus unvouched unkeyed rows and rows missing against the checkpoints."""
        if self._legacy_rows and self._keyed_from is None:
            self.problems.append(ChainProblem(self._last_seq, None, chain=self.chain, problem=(
                f"{self._legacy_rows} row(s) carry unkeyed hashes and no keyed row vouches for them: the chain "
                "was rewritten without the audit key, or (right after the upgrade to a keyed chain) nothing was "
                "recorded since; `deskpilot audit checkpoint` vouches for rows sealed before the key")))
        missing = [a for a in self.anchors if a.seq > 0 and a.seq not in self._anchored]
        removed_from_end = [a for a in missing if a.seq > self._last_seq]
        for anchor in missing:
            if anchor.seq <= self._last_seq:
                self.problems.append(ChainProblem(anchor.seq, None, chain=self.chain, problem=(
                    f"row seq {anchor.seq}, anchored by the checkpoint of {anchor.at.isoformat()}, is missing "
                    "(removed)")))
        if removed_from_end:
            latest = max(removed_from_end, key=lambda a: a.seq)
            now = (f"{self.label} is empty" if self.checked == 0
                   else f"{self.label} ends at seq {self._last_seq} ({self.checked} rows)")
            self.problems.append(ChainProblem(latest.seq, None, chain=self.chain, problem=(
                f"TRUNCATED: {now}, but the checkpoint of {latest.at.isoformat()} recorded {latest.count} rows "
                f"up to seq {latest.seq}: rows were removed from the end")))
        return self.problems

    def _problem(self, event: AuditEvent, text: str) -> None:
        self.problems.append(ChainProblem(event.seq, event.id, text, self.chain))
