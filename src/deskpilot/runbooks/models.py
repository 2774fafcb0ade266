"""Tables of the runbooks area: definitions, their versions and approvals, runs and their steps, locks,
and the self-service requests of the chat."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from deskpilot.clock import utcnow
from deskpilot.db import Base, UtcDateTime, enum_column
from deskpilot.runbooks.enums import RunMode, RunStatus, SelfServiceStatus, StepStatus, VersionStatus


class Runbook(Base):
    __tablename__ = "runbooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RunbookVersion(Base):
    """One immutable text of a runbook; `approved_hash` is the hash the approvers saw."""

    __tablename__ = "runbook_versions"
    __table_args__ = (UniqueConstraint("runbook_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    runbook_id: Mapped[int] = mapped_column(ForeignKey("runbooks.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[VersionStatus] = mapped_column(enum_column(VersionStatus, "runbook_version_status"),
                                                  default=VersionStatus.DRAFT)
    approved_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    author_name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class RunbookApproval(Base):
    __tablename__ = "runbook_approvals"
    __table_args__ = (UniqueConstraint("version_id", "approver_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("runbook_versions.id", ondelete="CASCADE"), index=True)
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    approver_name: Mapped[str] = mapped_column(String(120))
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RunbookRun(Base):
    """A dry-run or an execution; `parameters` are masked, `parameters_hash` keys them (HMAC).

    `journal_token` names the execution in the runbook journal (`runbooks.journal`), which is written
    outside the database transaction: a token in the journal without a committed run is a lost record.
    """

    __tablename__ = "runbook_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("runbook_versions.id"), index=True)
    mode: Mapped[RunMode] = mapped_column(enum_column(RunMode, "runbook_run_mode"))
    status: Mapped[RunStatus] = mapped_column(enum_column(RunStatus, "runbook_run_status"))
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True, default=None)
    dry_run_id: Mapped[int | None] = mapped_column(ForeignKey("runbook_runs.id"), default=None)
    target: Mapped[str] = mapped_column(String(200))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    parameters_hash: Mapped[str] = mapped_column(String(64))
    plan: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), default=None)
    origin: Mapped[str] = mapped_column(String(32), default="operator")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    actor_name: Mapped[str] = mapped_column(String(120))
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    rolled_back_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    journal_token: Mapped[str | None] = mapped_column(String(32), unique=True, index=True, default=None)


class RunbookRunStep(Base):
    """One executed step; `undo` holds what its rollback action needs (never a secret)."""

    __tablename__ = "runbook_run_steps"
    __table_args__ = (UniqueConstraint("run_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runbook_runs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    step_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    status: Mapped[StepStatus] = mapped_column(enum_column(StepStatus, "runbook_step_status"))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    output: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    undo: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    rollback_action: Mapped[str | None] = mapped_column(String(64), default=None)
    reversible: Mapped[bool] = mapped_column(Boolean, default=True)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class RunbookTargetLock(Base):
    """Held while a run changes `target`: the unique key makes a second run on it wait or fail."""

    __tablename__ = "runbook_target_locks"

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(200), unique=True)
    run_id: Mapped[int | None] = mapped_column(Integer, default=None)
    acquired_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SelfServiceRequest(Base):
    """A requester's self-service reset: the one-time code (hashed), its attempts and the outcome."""

    __tablename__ = "self_service_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[SelfServiceStatus] = mapped_column(enum_column(SelfServiceStatus, "self_service_status"))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    conversation_ref: Mapped[str | None] = mapped_column(String(80), default=None)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), default=None)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runbook_runs.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
