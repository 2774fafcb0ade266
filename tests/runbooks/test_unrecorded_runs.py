"""A run whose transaction is lost after it changed the directory is found from the journal, undone and
put on the record; a committed run is not; the journal never holds a password."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.audit.models import AuditEvent
from deskpilot.config import Settings
from deskpilot.errors import Conflict, PermissionDenied, ProviderError
from deskpilot.runbooks import executor, recovery
from deskpilot.runbooks.enums import RunMode, RunStatus, StepStatus
from deskpilot.runbooks.executor import RunRequest
from deskpilot.runbooks.identity import LdapDirectory
from deskpilot.runbooks.journal import RunJournal
from deskpilot.runbooks.models import RunbookRun
from deskpilot.runbooks.parameters import MASK
from deskpilot.runbooks.unrecorded import StepOutcome, find_unrecorded
from tests.factories import Desk
from tests.runbooks.directory import OLD_PASSWORD, LdapServer

NEW_PASSWORD = "Journal-Never-Sees-Me-41"


def run_then_lose(session: Session, settings: Settings, actor: Principal, runbook: str,
                  **params: str) -> RunbookRun:
    """Dry-run (committed), run, then roll the run's transaction back as a crash before commit would."""
    request = RunRequest(runbook=runbook, parameters=params)
    plan = executor.dry_run(session, settings=settings, actor=actor, request=request)
    session.commit()
    run = executor.run(session, settings=settings, actor=actor, request=replace(request, dry_run_id=plan.id))
    assert run.status is RunStatus.SUCCEEDED
    session.rollback()
    return run


def executions(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(RunbookRun).where(RunbookRun.mode == RunMode.EXECUTE)) or 0


def test_a_lost_group_add_is_listed_then_undone_and_recorded(session: Session, settings: Settings, approved: Desk,
                                                             directory: LdapDirectory, ldap: LdapServer) -> None:
    run_then_lose(session, settings, Principal.of(approved.carol), "group-add", username="bob", group="vpn-users")
    assert directory.find_group("vpn-users").has_member(ldap.dn("bob"))
    assert executions(session) == 0

    lena = Principal.of(approved.lena)
    report = find_unrecorded(session, settings=settings, actor=lena)
    assert report.problems == []
    [lost] = report.runs
    assert lost.started is not None and lost.finished is not None
    assert (lost.started["runbook"], lost.started["actor"], lost.finished["status"]) == ("group-add", "carol",
                                                                                         "succeeded")
    [step] = lost.steps.values()
    assert (step.step_id, step.outcome, step.may_have_changed) == ("add", StepOutcome.SUCCEEDED, True)
    assert (step.rollback_action, step.undo) == ("ldap.remove_from_group", {"user": "bob", "group": "vpn-users"})

    with pytest.raises(PermissionDenied):
        recovery.recover(session, settings=settings, actor=Principal.of(approved.carol), token=lost.token, undo=True)
    recovered = recovery.recover(session, settings=settings, actor=lena, token=lost.token[:8], undo=True)
    session.commit()

    assert not directory.find_group("vpn-users").has_member(ldap.dn("bob"))
    assert (recovered.status, recovered.journal_token, recovered.actor_name) == (RunStatus.ROLLED_BACK, lost.token,
                                                                                 "carol")
    assert "Recovered from the runbook journal by lena" in (recovered.error or "")
    [row] = executor.run_steps(session, run_id=recovered.id)
    assert (row.step_id, row.status) == ("add", StepStatus.ROLLED_BACK)
    events = session.scalars(select(AuditEvent).where(AuditEvent.subject_type == "runbook_run",
                                                      AuditEvent.subject_id == str(recovered.id))
                             .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["runbook.step.recovered", "runbook.step.rollback", "runbook.run.recovered"]
    assert {e.actor_name for e in events} == {"lena"}
    assert find_unrecorded(session, settings=settings, actor=lena).runs == []
    with pytest.raises(Conflict, match=f"on the record as run #{recovered.id}"):
        recovery.recover(session, settings=settings, actor=lena, token=lost.token, undo=True)


def test_a_lost_run_recorded_with_its_changes_kept_can_be_rolled_back_later(
        session: Session, settings: Settings, approved: Desk, directory: LdapDirectory, ldap: LdapServer) -> None:
    run_then_lose(session, settings, Principal.of(approved.carol), "group-add", username="alice", group="finance")
    lena = Principal.of(approved.lena)
    [lost] = find_unrecorded(session, settings=settings, actor=lena).runs
    kept = recovery.recover(session, settings=settings, actor=lena, token=lost.token, undo=False)
    session.commit()
    assert kept.status is RunStatus.RECOVERED
    assert directory.find_group("finance").has_member(ldap.dn("alice"))

    executor.rollback(session, settings=settings, actor=lena, run_id=kept.id)
    session.commit()
    assert not directory.find_group("finance").has_member(ldap.dn("alice"))
    assert kept.status is RunStatus.ROLLED_BACK


def test_a_committed_run_is_on_the_record_and_not_listed(session: Session, settings: Settings, approved: Desk,
                                                         ldap: LdapServer) -> None:
    del ldap  # the directory the run changes
    carol = Principal.of(approved.carol)
    request = RunRequest(runbook="group-add", parameters={"username": "bob", "group": "finance"})
    plan = executor.dry_run(session, settings=settings, actor=carol, request=request)
    run = executor.run(session, settings=settings, actor=carol, request=replace(request, dry_run_id=plan.id))
    session.commit()
    journaled = {entry.token: entry.event for entry in RunJournal.of(settings).read().entries}
    assert journaled[run.journal_token] == "run.finished"
    assert find_unrecorded(session, settings=settings, actor=carol).runs == []


def test_the_journal_never_holds_the_new_password(session: Session, settings: Settings, approved: Desk,
                                                 directory: LdapDirectory) -> None:
    carol = Principal.of(approved.carol)
    run_then_lose(session, settings, carol, "password-reset", username="alice", new_password=NEW_PASSWORD)
    assert directory.check_password(directory.find_user("alice"), NEW_PASSWORD)
    text = settings.runbook_journal_path.read_text()
    assert NEW_PASSWORD not in text and MASK in text

    # The reset cannot be undone: recovery records it and says what is left to check by hand.
    lena = Principal.of(approved.lena)
    [lost] = find_unrecorded(session, settings=settings, actor=lena).runs
    [step] = lost.steps.values()
    assert step.action == "ldap.reset_password" and step.inputs["password"] == MASK and step.undo is None
    recorded = recovery.recover(session, settings=settings, actor=lena, token=lost.token, undo=True)
    session.commit()
    assert recorded.status is RunStatus.ROLLBACK_FAILED and "reset (ldap.reset_password) cannot be undone" in (
        recorded.error or "")
    assert NEW_PASSWORD not in settings.runbook_journal_path.read_text()
    assert not directory.check_password(directory.find_user("alice"), OLD_PASSWORD)


def test_a_truncated_last_line_is_reported_and_hides_no_lost_run(session: Session, settings: Settings,
                                                                 approved: Desk, ldap: LdapServer) -> None:
    del ldap
    run_then_lose(session, settings, Principal.of(approved.carol), "group-add", username="bob", group="vpn-users")
    path = settings.runbook_journal_path
    lines = path.read_bytes().count(b"\n")
    with path.open("ab") as journal:
        journal.write(b'{"at": "2026-11-23T10:00:00+00:00", "event": "step.fin')
    report = find_unrecorded(session, settings=settings, actor=Principal.of(approved.lena))
    assert [r.started["target"] for r in report.runs if r.started] == ["ldap-user:bob"]
    [problem] = report.problems
    assert problem.line == lines + 1 and "cut short" in problem.message


def test_a_run_that_cannot_write_its_journal_changes_nothing(session: Session, settings: Settings, approved: Desk,
                                                            directory: LdapDirectory, ldap: LdapServer) -> None:
    blocked = settings.runbook_journal_path.parent
    blocked.parent.mkdir(parents=True, exist_ok=True)
    Path(blocked).write_text("a file where the journal's directory should be")
    carol = Principal.of(approved.carol)
    request = RunRequest(runbook="group-add", parameters={"username": "bob", "group": "vpn-users"})
    plan = executor.dry_run(session, settings=settings, actor=carol, request=request)
    with pytest.raises(ProviderError, match="Could not write the runbook journal"):
        executor.run(session, settings=settings, actor=carol, request=replace(request, dry_run_id=plan.id))
    session.rollback()
    assert not directory.find_group("vpn-users").has_member(ldap.dn("bob"))
