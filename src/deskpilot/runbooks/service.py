"""Runbook definitions: create, edit (a new draft version), approve, and find the version that may run.

A version is approved when enough distinct leads, none of them its author, approved the very text
(hash) they reviewed. Only approved versions run, and their text is re-hashed before every run.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.permissions import Permission, require
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.clock import utcnow
from deskpilot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from deskpilot.runbooks.actions.registry import get_action
from deskpilot.runbooks.definition import RunbookSpec, content_hash, parse, references
from deskpilot.runbooks.enums import VersionStatus
from deskpilot.runbooks.models import Runbook, RunbookApproval, RunbookVersion


def check_actions(spec: RunbookSpec) -> None:
    """Every step names an installed action, and every step that can change something names its
    rollback (the action's inverse) or says why it cannot be undone."""
    secrets = {f"params.{name}" for name in spec.secret_parameters}
    for step in spec.steps:
        action = get_action(step.action)
        where = f"step {step.id!r} ({step.action})"
        for key, value in step.inputs.items():
            if key not in action.secret_inputs and secrets & set(references({key: value})):
                raise InvalidInput(f"{where}: a secret parameter may only fill a secret input, not {key!r}.")
        if step.rollback is not None and step.rollback != action.inverse:
            raise InvalidInput(f"{where}: the rollback of {step.action} is {action.inverse or 'not possible'}, "
                               f"not {step.rollback!r}.")
        if not action.might_change(step.inputs):
            continue
        if action.inverse is not None and step.rollback is None:
            raise InvalidInput(f"{where} changes something: name its rollback ({action.inverse}).")
        if action.inverse is None and not step.irreversible:
            raise InvalidInput(f"{where} cannot be undone: say why in `irreversible`, or put it last.")


def _record(session: Session, actor: Principal, action: str, version: RunbookVersion, **after: object) -> None:
    audit.record(session, actor_id=actor.user_id, actor_name=actor.username, action=action,
                 subject_type="runbook_version", subject_id=version.id,
                 after={"runbook_id": version.runbook_id, "version": version.version, "hash": version.content_hash,
                        **after})


def _new_version(session: Session, *, actor: Principal, runbook: Runbook, number: int, source: str) -> RunbookVersion:
    version = RunbookVersion(runbook_id=runbook.id, version=number, source=source, content_hash=content_hash(source),
                             status=VersionStatus.DRAFT, author_id=actor.user_id, author_name=actor.username,
                             created_at=utcnow())
    session.add(version)
    session.flush()
    _record(session, actor, "runbook.version.create", version, name=runbook.name, status=version.status)
    return version


def create(session: Session, *, actor: Principal, source: str) -> RunbookVersion:
    """A new runbook from its YAML text, as draft version 1 (admins)."""
    require(actor, Permission.RUNBOOK_MANAGE)
    spec = parse(source)
    check_actions(spec)
    if session.scalar(select(Runbook).where(Runbook.name == spec.name)) is not None:
        raise Conflict(f"A runbook named {spec.name!r} exists; edit it to make a new version.")
    runbook = Runbook(name=spec.name, created_at=utcnow())
    session.add(runbook)
    session.flush()
    return _new_version(session, actor=actor, runbook=runbook, number=1, source=source)


def edit(session: Session, *, actor: Principal, name: str, source: str) -> RunbookVersion:
    """A new draft version; the approved version keeps running until the new one is approved."""
    require(actor, Permission.RUNBOOK_MANAGE)
    runbook = get(session, name=name)
    spec = parse(source)
    if spec.name != runbook.name:
        raise InvalidInput(f"The definition is named {spec.name!r}; a new version of {name!r} must keep its name.")
    check_actions(spec)
    latest = versions(session, name=name)[-1]
    if latest.source == source:
        raise Conflict(f"Version {latest.version} of {name!r} has exactly this text already.")
    return _new_version(session, actor=actor, runbook=runbook, number=latest.version + 1, source=source)


def get(session: Session, *, name: str) -> Runbook:
    runbook = session.scalar(select(Runbook).where(Runbook.name == name))
    if runbook is None:
        raise NotFound(f"No runbook named {name!r}.")
    return runbook


def get_by_id(session: Session, *, runbook_id: int) -> Runbook:
    runbook = session.get(Runbook, runbook_id)
    if runbook is None:
        raise NotFound(f"No runbook with id {runbook_id}.")
    return runbook


def get_all(session: Session) -> list[Runbook]:
    return list(session.scalars(select(Runbook).order_by(Runbook.name)))


def versions(session: Session, *, name: str) -> list[RunbookVersion]:
    runbook = get(session, name=name)
    return list(session.scalars(select(RunbookVersion).where(RunbookVersion.runbook_id == runbook.id)
                                .order_by(RunbookVersion.version)))


def get_version(session: Session, *, name: str, version: int) -> RunbookVersion:
    for candidate in versions(session, name=name):
        if candidate.version == version:
            return candidate
    raise NotFound(f"Runbook {name!r} has no version {version}.")


def approvals(session: Session, *, version_id: int) -> list[RunbookApproval]:
    return list(session.scalars(select(RunbookApproval).where(RunbookApproval.version_id == version_id)
                                .order_by(RunbookApproval.id)))


def _is_author(actor: Principal, version: RunbookVersion) -> bool:
    if actor.user_id is not None and version.author_id is not None:
        return actor.user_id == version.author_id
    return actor.username == version.author_name


def approve(session: Session, *, actor: Principal, name: str, version: int, reviewed_hash: str) -> RunbookVersion:
    """Approve the text with hash `reviewed_hash`; high risk needs two distinct approvers, none the author."""
    require(actor, Permission.RUNBOOK_APPROVE)
    target = get_version(session, name=name, version=version)
    if target.status is not VersionStatus.DRAFT:
        raise Conflict(f"Version {version} of {name!r} is {target.status}; only drafts are approved.")
    if reviewed_hash != target.content_hash or content_hash(target.source) != target.content_hash:
        raise Conflict(f"Version {version} of {name!r} is not the text you reviewed (hash mismatch); review it again.")
    if _is_author(actor, target):
        raise PermissionDenied("The author of a runbook version cannot approve it; ask another lead.")
    if any(a.approver_name == actor.username for a in approvals(session, version_id=target.id)):
        raise Conflict(f"You approved version {version} of {name!r} already; it needs a different approver.")
    session.add(RunbookApproval(version_id=target.id, approver_id=actor.user_id, approver_name=actor.username,
                                content_hash=target.content_hash, created_at=utcnow()))
    session.flush()
    given = len(approvals(session, version_id=target.id))
    needed = parse(target.source).min_approvers
    _record(session, actor, "runbook.version.approve", target, approvals=given, needed=needed)
    if given >= needed:
        for earlier in versions(session, name=name):
            if earlier.status is VersionStatus.APPROVED:
                earlier.status = VersionStatus.SUPERSEDED
        target.status, target.approved_hash, target.approved_at = VersionStatus.APPROVED, target.content_hash, utcnow()
        session.flush()
        _record(session, actor, "runbook.version.approved", target, approvals=given)
    return target


def runnable_version(session: Session, *, name: str, version: int | None = None) -> tuple[RunbookVersion, RunbookSpec]:
    """The approved version to run (the current one unless `version` is given) and its spec.

    Refuses drafts, superseded versions, and any text whose hash differs from what was approved.
    """
    runbook = get(session, name=name)
    query = select(RunbookVersion).where(RunbookVersion.runbook_id == runbook.id)
    query = query.where(RunbookVersion.version == version) if version is not None else \
        query.where(RunbookVersion.status == VersionStatus.APPROVED)
    chosen = session.scalar(query.order_by(RunbookVersion.version.desc()).limit(1))
    if chosen is None or chosen.status is not VersionStatus.APPROVED:
        which = f"version {version}" if version is not None else "an approved version"
        raise PermissionDenied(f"Runbook {name!r} has no {which} that may run; a lead must approve it first.")
    actual = content_hash(chosen.source)
    if actual != chosen.approved_hash or actual != chosen.content_hash:
        raise PermissionDenied(f"Version {chosen.version} of {name!r} changed after it was approved; it will not run.")
    spec = parse(chosen.source)
    distinct = session.scalar(select(func.count(func.distinct(RunbookApproval.approver_name)))
                              .where(RunbookApproval.version_id == chosen.id,
                                     RunbookApproval.content_hash == actual,
                                     RunbookApproval.approver_name != chosen.author_name)) or 0
    if distinct < spec.min_approvers:
        raise PermissionDenied(f"Version {chosen.version} of {name!r} lacks the approvals its risk needs.")
    return chosen, spec
