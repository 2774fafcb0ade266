"""Retention: each kind of stored data is kept for its period (`DESKPILOT_RETENTION_DAYS`, defaults in
`data_retention.DEFAULT_DAYS`), then its content is removed by the owner's sweep. One use case for the scheduled
job (`privacy.retention`), `deskpilot privacy retention [--dry-run]` and the admin page; every real run is audited.

The owners' sweeps: the areas' are listed here, a face's (e-mail) come from the `deskpilot.retention` entry point
group, because a flow may not import a face.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.metadata import entry_points

from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.accounts.retention import SWEEP as LOGIN_ATTEMPTS
from deskpilot.audit import service as audit
from deskpilot.audit.models import AuditEvent
from deskpilot.audit.retention import SWEEP as AI_DECISIONS
from deskpilot.config import Settings
from deskpilot.conversations.retention import SWEEP as CONVERSATIONS
from deskpilot.data_retention import DEFAULT_DAYS, RetentionKind, RetentionSweep
from deskpilot.errors import InvalidInput
from deskpilot.jobs.retention import SWEEP as FAILED_JOBS
from deskpilot.tickets.retention import SWEEP as TICKETS

GROUP = "deskpilot.retention"
BUILT_IN: tuple[RetentionSweep, ...] = (TICKETS, CONVERSATIONS, AI_DECISIONS, LOGIN_ATTEMPTS, FAILED_JOBS)


def registered_sweeps() -> list[RetentionSweep]:
    """The sweeps installed in the `deskpilot.retention` entry point group, each named as its point."""
    found: list[RetentionSweep] = []
    for point in entry_points(group=GROUP):
        sweep = point.load()
        if not isinstance(sweep, RetentionSweep) or sweep.name != point.name:
            raise TypeError(f"entry point {point.name!r} in {GROUP} must name a RetentionSweep called {point.name!r}")
        found.append(sweep)
    return sorted(found, key=lambda sweep: sweep.name)


def retention_days(settings: Settings) -> dict[RetentionKind, int]:
    """Days each kind is kept: the defaults with `DESKPILOT_RETENTION_DAYS` over them (0: kept for ever)."""
    known = {kind.value for kind in RetentionKind}
    unknown = sorted(set(settings.retention_days) - known)
    if unknown:
        raise InvalidInput(f"DESKPILOT_RETENTION_DAYS names unknown kinds {', '.join(unknown)}; "
                           f"known: {', '.join(sorted(known))}")
    return {kind: settings.retention_days.get(kind.value, DEFAULT_DAYS[kind]) for kind in RetentionKind}


@dataclass(frozen=True)
class SweepLine:
    """One owner's part of a retention run."""

    kind: RetentionKind
    owner: str
    days: int
    before: datetime | None  # None: the kind is kept for ever
    records: int
    files: int


@dataclass(frozen=True)
class RetentionReport:
    dry_run: bool
    at: datetime
    lines: list[SweepLine]

    def summary(self) -> str:
        """One line: what was (or would be) removed per kind."""
        verb = "would remove" if self.dry_run else "removed"
        parts = [f"{line.kind.value}/{line.owner} {line.records} records, {line.files} files"
                 for line in self.lines if line.records or line.files]
        return f"retention {verb}: " + ("; ".join(parts) if parts else "nothing past its period")


def apply_retention(session: Session, *, settings: Settings, actor: Principal, now: datetime,
                    dry_run: bool = False) -> RetentionReport:
    """Remove the content of every kind of data older than its period (or only count it, `dry_run`). Flushes; the
    caller commits. A real run is audited as `privacy.retention` with its counts."""
    require(actor, Permission.PRIVACY_MANAGE)
    days = retention_days(settings)
    lines: list[SweepLine] = []
    for sweep in [*BUILT_IN, *registered_sweeps()]:
        kept = days[sweep.kind]
        if kept == 0:
            lines.append(SweepLine(sweep.kind, sweep.name, kept, None, 0, 0))
            continue
        before = now - timedelta(days=kept)
        expired = sweep.expire(session, settings=settings, before=before, dry_run=dry_run)
        lines.append(SweepLine(sweep.kind, sweep.name, kept, before, expired.records, expired.files))
    report = RetentionReport(dry_run=dry_run, at=now, lines=lines)
    if not dry_run:
        audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="privacy.retention",
                     subject_type="retention", subject_id=now.date().isoformat(),
                     after={f"{line.kind.value}/{line.owner}": {"days": line.days, "records": line.records,
                                                                "files": line.files} for line in lines})
    return report


@dataclass(frozen=True)
class LastRun:
    at: datetime
    by: str
    removed: dict[str, dict[str, int]]


def last_run(session: Session, *, actor: Principal) -> LastRun | None:
    """The latest real retention run, from the audit log (None before the first)."""
    require(actor, Permission.PRIVACY_MANAGE)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "privacy.retention")
                           .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(1))
    return LastRun(at=event.at, by=event.actor_name, removed=dict(event.after or {})) if event else None
