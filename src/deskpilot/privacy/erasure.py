"""The right to erasure: one admin requests it, another approves it, and a resumable job removes or irreversibly
pseudonymises the person in every owner's records (the same sources as the export), the audit log (redacted,
still verifiable), the search indexes (files, embedding cache, other processes' memory), the trained models and
the logs. Its first step writes the ledger entry that makes a restore of an older backup erase the person again
(`privacy.ledger`). docs/privacy.md lists every copy.

The job runs one step per unit of work and records the step as done in the same transaction, so a crash
repeats at most the step in flight (every step is idempotent). The account is pseudonymised last, and the
request forgets the person's identifiers when it is done.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from deskpilot.accounts import permissions
from deskpilot.accounts.permissions import Permission
from deskpilot.accounts.principal import Principal
from deskpilot.audit import personal_data as audit_data
from deskpilot.audit import service as audit
from deskpilot.clock import utcnow
from deskpilot.config import Settings
from deskpilot.db import unit_of_work
from deskpilot.errors import Conflict, NotFound, PermissionDenied
from deskpilot.ml.embeddings import Embedder
from deskpilot.personal_data import Change, Erasure, Person, PersonalDataSource, identifiers_of
from deskpilot.privacy import copies, ledger
from deskpilot.privacy.enums import ErasureStatus
from deskpilot.privacy.models import ErasureRequest

ACCOUNT = "account"
LEDGER_STEP = "backups"
COPY_STEPS = ("audit", "indexes", "models", "logs")
OPEN = (ErasureStatus.REQUESTED, ErasureStatus.APPROVED, ErasureStatus.RUNNING)
Progress = Callable[[str, list[Change]], None]


@dataclass(frozen=True)
class ErasureContext:
    """What the steps need besides the session: settings, the embedder (indexes) and the owners."""

    settings: Settings
    embedder: Embedder
    sources: Sequence[PersonalDataSource]

    def steps(self) -> list[str]:
        return steps_of(self.sources)


def steps_of(sources: Sequence[PersonalDataSource]) -> list[str]:
    """The ledger first (a restore during the erasure must not undo it), every owner but the account, then the
    copies, then the account (it names the person until the end)."""
    return [LEDGER_STEP, *(source.name for source in sources if source.name != ACCOUNT), *COPY_STEPS, ACCOUNT]


def step_changes(session: Session, context: ErasureContext, erasure: Erasure, step: str, *, apply: bool,
                 erasure_id: int | None = None) -> list[Change]:
    """Run (or, without `apply`, describe) one step of the erasure."""
    settings = context.settings
    if step == LEDGER_STEP:
        return _ledger(settings, erasure=erasure, erasure_id=erasure_id, apply=apply)
    if step == "audit":
        subjects: set[tuple[str, str]] = set().union(*(
            source.collect(session, settings=settings, person=erasure.person).subjects for source in context.sources))
        return audit_data.erase(session, erasure=erasure, subjects=subjects, apply=apply,
                                reason=f"erasure of user {erasure.person.user_id}")
    if step == "indexes":
        return copies.indexes(session, settings=settings, erasure=erasure, embedder=context.embedder, apply=apply)
    if step == "models":
        return copies.models(settings=settings, erasure=erasure, apply=apply)
    if step == "logs":
        return copies.logs(settings=settings, erasure=erasure, apply=apply)
    source = next((source for source in context.sources if source.name == step), None)
    if source is None:
        raise Conflict(f"erasure step {step!r} names no installed personal-data source; reinstall the package "
                       "that provided it, then run the job again")
    return source.erase(session, settings=settings, erasure=erasure, apply=apply)


def _ledger(settings: Settings, *, erasure: Erasure, erasure_id: int | None, apply: bool) -> list[Change]:
    if apply and erasure_id is not None:
        extra = [term for term in erasure.identifiers if term not in identifiers_of(erasure.person)]
        ledger.record(settings, erasure_id=erasure_id, person=erasure.person, extra=extra)
    return [Change(LEDGER_STEP, "erasure_ledger", 1, "entry appended (keyed digests, no identifiers): backups made "
                   "before the erasure still hold the person; restoring one erases them again")]


def plan(session: Session, context: ErasureContext, *, actor: Principal, person: Person,
         identifiers: Sequence[str] = ()) -> list[Change]:
    """The dry run: what erasing `person` would change, per source and step; nothing is written."""
    permissions.require(actor, Permission.PRIVACY_MANAGE)
    erasure = Erasure(person, identifiers_of(person, identifiers))
    return [change for step in context.steps()
            for change in step_changes(session, context, erasure, step, apply=False)]


def request(session: Session, *, actor: Principal, person: Person, identifiers: Sequence[str] = ()) -> ErasureRequest:
    """File a request to erase `person`; it runs only once another administrator approves it."""
    permissions.require(actor, Permission.PRIVACY_MANAGE)
    if actor.user_id == person.user_id:
        raise PermissionDenied("Nobody may request their own erasure as the administrator; another admin must.")
    pending = session.scalars(select(ErasureRequest).where(ErasureRequest.user_id == person.user_id,
                                                           ErasureRequest.status.in_(OPEN))).first()
    if pending is not None:
        raise Conflict(f"An erasure of this person is already {pending.status.value} (request {pending.id}).")
    erasure = ErasureRequest(
        user_id=person.user_id, status=ErasureStatus.REQUESTED, identifiers=sorted(set(identifiers)),
        person={"user_id": person.user_id, "username": person.username, "email": person.email,
                "full_name": person.full_name},
        requested_by_id=actor.user_id, requested_by=actor.username, done_steps=[], changes=[])
    session.add(erasure)
    session.flush()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="privacy.erasure_requested",
                 subject_type="user", subject_id=person.user_id, after={"erasure_id": erasure.id})
    return erasure


def approve(session: Session, *, actor: Principal, erasure_id: int) -> ErasureRequest:
    """The second administrator's approval; the `privacy.erase` job then runs the erasure."""
    permissions.require(actor, Permission.PRIVACY_MANAGE)
    erasure = get(session, erasure_id=erasure_id)
    if erasure.status != ErasureStatus.REQUESTED:
        raise Conflict(f"Erasure {erasure.id} is {erasure.status.value}; only a requested erasure can be approved.")
    if (actor.user_id, actor.username) == (erasure.requested_by_id, erasure.requested_by):
        raise PermissionDenied(f"{actor.username} requested erasure {erasure.id}; another administrator must "
                               "approve it (two-person rule).")
    if actor.user_id == erasure.user_id:
        raise PermissionDenied("Nobody may approve their own erasure.")
    erasure.status, erasure.approved_by, erasure.approved_at = ErasureStatus.APPROVED, actor.username, utcnow()
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="privacy.erasure_approved",
                 subject_type="user", subject_id=erasure.user_id, after={"erasure_id": erasure.id})
    return erasure


def cancel(session: Session, *, actor: Principal, erasure_id: int) -> ErasureRequest:
    """Withdraw a request nobody approved yet; it forgets the person's identifiers."""
    permissions.require(actor, Permission.PRIVACY_MANAGE)
    erasure = get(session, erasure_id=erasure_id)
    if erasure.status != ErasureStatus.REQUESTED:
        raise Conflict(f"Erasure {erasure.id} is {erasure.status.value}; only a request not yet approved can be "
                       "cancelled.")
    erasure.status, erasure.finished_at = ErasureStatus.CANCELLED, utcnow()
    erasure.person, erasure.identifiers = {"user_id": erasure.user_id}, []
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action="privacy.erasure_cancelled",
                 subject_type="user", subject_id=erasure.user_id, after={"erasure_id": erasure.id})
    return erasure


def get(session: Session, *, erasure_id: int) -> ErasureRequest:
    erasure = session.get(ErasureRequest, erasure_id)
    if erasure is None:
        raise NotFound(f"No erasure request {erasure_id}.")
    return erasure


def of_user(session: Session, *, actor: Principal, user_id: int) -> list[ErasureRequest]:
    """The erasure requests about one user, newest first (admin page)."""
    permissions.require(actor, Permission.PRIVACY_MANAGE)
    return list(session.scalars(select(ErasureRequest).where(ErasureRequest.user_id == user_id)
                                .order_by(ErasureRequest.id.desc())))


def runnable(session: Session) -> list[int]:
    """Approved erasures and erasures a crash left running, oldest first."""
    return list(session.scalars(select(ErasureRequest.id).where(ErasureRequest.status.in_(
        [ErasureStatus.APPROVED, ErasureStatus.RUNNING])).order_by(ErasureRequest.id)))


def run_next_step(session: Session, context: ErasureContext, *, erasure_id: int) -> str | None:
    """Run the first step not yet done and record it; the name of the step, or None when all are done (then
    the request forgets the person and the end is audited)."""
    erasure = get(session, erasure_id=erasure_id)
    if erasure.status not in (ErasureStatus.APPROVED, ErasureStatus.RUNNING):
        raise Conflict(f"Erasure {erasure.id} is {erasure.status.value}; it runs only once approved.")
    remaining = [step for step in context.steps() if step not in erasure.done_steps]
    if not remaining:
        _finish(session, erasure)
        return None
    step = remaining[0]
    changes = step_changes(session, context, _erasure_of(erasure, context.settings), step, apply=True,
                           erasure_id=erasure.id)
    erasure.status = ErasureStatus.RUNNING
    erasure.done_steps = [*erasure.done_steps, step]
    erasure.changes = [*erasure.changes, *(change.as_json() for change in changes)]
    return step


def _erasure_of(request: ErasureRequest, settings: Settings) -> Erasure:
    """What the steps erase: the person, their identifiers, and those a re-application knows only sealed."""
    person_fields = dict(request.person)
    sealed = frozenset(person_fields.pop("sealed", []))
    person = Person(**person_fields)
    return Erasure(person, identifiers_of(person, request.identifiers), sealed=sealed,
                   seal_key=ledger.seal_key(settings) if sealed else b"")


def run(sessions: sessionmaker[Session], context: ErasureContext, *, erasure_id: int,
        progress: Callable[[str], None] | None = None) -> None:
    """Run the erasure's remaining steps, one unit of work each, then compact a SQLite file so the erased
    text does not linger in its free pages."""
    while True:
        with unit_of_work(sessions) as session:
            step = run_next_step(session, context, erasure_id=erasure_id)
            bind = session.get_bind()
        if step is None:
            break
        if progress is not None:
            progress(step)
    if isinstance(bind, Engine):
        compact(bind)


def erase_again(sessions: sessionmaker[Session], context: ErasureContext,
                progress: Callable[[str], None]) -> int:
    """Re-file and run at once the erasures a restore undid (`deskpilot restore`); how many."""
    with unit_of_work(sessions) as session:
        filed = ledger.reapply(session, context.settings)
    for erasure_id in filed:
        progress(f"privacy: erasing again the person of erasure {erasure_id} (erased after the backup was made)")
        run(sessions, context, erasure_id=erasure_id, progress=lambda step: progress(f"privacy:   {step} done"))
    return len(filed)


def compact(engine: Engine) -> None:
    """SQLite keeps deleted and overwritten text in free pages and its WAL until vacuumed and checkpointed."""
    if engine.dialect.name != "sqlite":
        return
    # On the driver's own connection: the engine's `begin` hook would wrap even an AUTOCOMMIT one in BEGIN.
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("VACUUM")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
    finally:
        connection.close()


def _finish(session: Session, erasure: ErasureRequest) -> None:
    erasure.status, erasure.finished_at = ErasureStatus.DONE, utcnow()
    erasure.person, erasure.identifiers = {"user_id": erasure.user_id}, []
    counts: dict[str, int] = {}
    for change in erasure.changes:
        counts[change["source"]] = counts.get(change["source"], 0) + int(change["count"])
    audit.record(session, actor_id=None, actor_name="system", action="privacy.erasure_done", subject_type="user",
                 subject_id=erasure.user_id, after={"erasure_id": erasure.id, "changed": counts})
