"""Runbooks against a real OpenLDAP: resets, unlocks, group changes, failures that roll back, rollbacks."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.audit.models import AuditEvent
from deskpilot.config import Settings
from deskpilot.errors import Conflict, InvalidInput
from deskpilot.runbooks import executor
from deskpilot.runbooks import service as definitions
from deskpilot.runbooks.enums import RunStatus, StepStatus
from deskpilot.runbooks.executor import RunRequest
from deskpilot.runbooks.identity import LdapDirectory
from deskpilot.runbooks.parameters import MASK
from deskpilot.tickets import service as tickets
from tests.factories import Desk, open_ticket
from tests.runbooks.conftest import AUTHOR
from tests.runbooks.directory import OLD_PASSWORD, LdapServer

NEW_PASSWORD = "Brand-New-Pass-77"


def _run(session: Session, settings: Settings, actor: Principal, runbook: str, **params: object):  # type: ignore[no-untyped-def]
    ticket_id = params.pop("ticket_id", None)
    request = RunRequest(runbook=runbook, parameters=params, ticket_id=ticket_id)  # type: ignore[arg-type]
    plan = executor.dry_run(session, settings=settings, actor=actor, request=request)
    run = executor.run(session, settings=settings, actor=actor,
                       request=RunRequest(runbook=runbook, parameters=params, ticket_id=ticket_id,  # type: ignore[arg-type]
                                          dry_run_id=plan.id))
    session.commit()
    return plan, run


def test_reset_makes_the_new_password_bind_and_the_old_one_fail(session: Session, settings: Settings,
                                                                  approved: Desk, directory: LdapDirectory,
                                                                  ldap: LdapServer) -> None:
    carol = Principal.of(approved.carol)
    ticket = open_ticket(session, approved, approved.alice)
    plan, run = _run(session, settings, carol, "password-reset", username="alice", new_password=NEW_PASSWORD,
                     ticket_id=ticket.id)
    assert run.status is RunStatus.SUCCEEDED
    alice = directory.find_user("alice")
    assert alice.dn == ldap.dn("alice")
    assert directory.check_password(alice, NEW_PASSWORD)
    assert not directory.check_password(alice, OLD_PASSWORD)
    assert ldap.dn("alice") in plan.plan[1]["description"]
    # The password is in no stored run, step, plan or audit row.
    events = session.scalars(select(AuditEvent).where(AuditEvent.subject_type == "runbook_run")).all()
    stored = repr([e.after for e in events]) + repr(run.parameters) + repr(plan.plan)
    stored += repr([s.inputs for s in executor.run_steps(session, run_id=run.id)])
    assert NEW_PASSWORD not in stored and MASK in stored
    steps = [e.after for e in events if e.action == "runbook.step"]
    assert [s["step"] for s in steps] == ["note", "reset"]
    assert all(s["duration_ms"] >= 0 and s["status"] == "succeeded" for s in steps)
    assert {e.actor_name for e in events} == {"carol"}


def test_unlock_clears_the_ppolicy_lock_and_a_later_rollback_restores_it(
        session: Session, settings: Settings, approved: Desk, directory: LdapDirectory) -> None:
    bob = directory.find_user("bob")
    directory.lock(bob, "20260101000000Z")
    assert directory.find_user("bob").locked and not directory.check_password(bob, OLD_PASSWORD)
    plan, run = _run(session, settings, Principal.of(approved.carol), "account-unlock", username="bob",
                     ticket_id=open_ticket(session, approved, approved.bob).id)
    assert plan.plan[0]["before"] == {"locked": True, "since": "20260101000000Z"}
    assert run.status is RunStatus.SUCCEEDED
    assert not directory.find_user("bob").locked and directory.check_password(bob, OLD_PASSWORD)

    executor.rollback(session, settings=settings, actor=Principal.of(approved.lena), run_id=run.id)
    session.commit()
    assert directory.find_user("bob").lock == "20260101000000Z"
    assert run.status is RunStatus.ROLLED_BACK


def test_a_later_rollback_restores_group_membership(session: Session, settings: Settings, approved: Desk,
                                                    directory: LdapDirectory, ldap: LdapServer) -> None:
    _, run = _run(session, settings, Principal.of(approved.carol), "group-add", username="bob", group="vpn-users",
                  ticket_id=open_ticket(session, approved, approved.bob).id)
    assert directory.find_group("vpn-users").has_member(ldap.dn("bob"))
    with pytest.raises(Exception, match="runbook:rollback"):
        executor.rollback(session, settings=settings, actor=Principal.of(approved.carol), run_id=run.id)
    executor.rollback(session, settings=settings, actor=Principal.of(approved.lena), run_id=run.id)
    session.commit()
    assert not directory.find_group("vpn-users").has_member(ldap.dn("bob"))
    with pytest.raises(Conflict):
        executor.rollback(session, settings=settings, actor=Principal.of(approved.lena), run_id=run.id)


FAILING = """
name: grant-vpn-and-finance
title: Grant VPN and finance
risk: medium
target: "ldap-user:{{ params.username }}"
parameters: [{name: username, type: username}]
steps:
  - {id: vpn, action: ldap.add_to_group, inputs: {user: "{{ params.username }}", group: vpn-users},
     rollback: ldap.remove_from_group}
  - {id: finance, action: ldap.add_to_group, inputs: {user: "{{ params.username }}", group: finance},
     rollback: ldap.remove_from_group}
"""


def test_a_failed_step_rolls_back_the_completed_ones_and_the_ticket_says_so(
        session: Session, settings: Settings, desk: Desk, directory: LdapDirectory, ldap: LdapServer) -> None:
    version = definitions.create(session, actor=AUTHOR, source=FAILING)
    definitions.approve(session, actor=Principal.of(desk.lena), name="grant-vpn-and-finance", version=1,
                        reviewed_hash=version.content_hash)
    ticket = open_ticket(session, desk, desk.alice)
    session.commit()
    carol = Principal.of(desk.carol)
    request = RunRequest(runbook="grant-vpn-and-finance", parameters={"username": "carol"}, ticket_id=ticket.id)
    plan = executor.dry_run(session, settings=settings, actor=carol, request=request)
    assert [p["changes"] for p in plan.plan] == [True, True]
    # Between the dry-run and the run the finance group disappears: the second step fails.
    ldap.delete(f"cn=finance,ou=groups,{ldap.base_dn}")
    run = executor.run(session, settings=settings, actor=carol, request=replace(request, dry_run_id=plan.id))
    session.commit()
    assert run.status is RunStatus.ROLLED_BACK and "finance" in (run.error or "")
    steps = executor.run_steps(session, run_id=run.id)
    assert [s.status for s in steps] == [StepStatus.ROLLED_BACK, StepStatus.FAILED]
    assert not directory.find_group("vpn-users").has_member(ldap.dn("carol"))
    notes = [m.body for m in tickets.get_messages(session, actor=carol, ticket_id=ticket.id)]
    assert any("failed" in n and "rolled back: vpn" in n for n in notes)


def test_rerunning_with_the_same_idempotency_key_returns_the_first_run(session: Session, settings: Settings,
                                                                       approved: Desk, directory: LdapDirectory,
                                                                       ldap: LdapServer) -> None:
    carol = Principal.of(approved.carol)
    request = RunRequest(runbook="group-add", parameters={"username": "carol", "group": "finance"},
                         idempotency_key="ticket-42-finance")
    plan = executor.dry_run(session, settings=settings, actor=carol, request=request)
    first = executor.run(session, settings=settings, actor=carol, request=replace(request, dry_run_id=plan.id))
    again = executor.run(session, settings=settings, actor=carol, request=replace(request, dry_run_id=plan.id))
    session.commit()
    assert again.id == first.id and first.status is RunStatus.SUCCEEDED
    assert directory.find_group("finance").has_member(ldap.dn("carol"))
    other = RunRequest(runbook="group-add", parameters={"username": "bob", "group": "finance"},
                       idempotency_key="ticket-42-finance", dry_run_id=plan.id)
    with pytest.raises(Conflict):
        executor.run(session, settings=settings, actor=carol, request=other)


def test_a_run_needs_a_matching_dry_run(session: Session, settings: Settings, approved: Desk) -> None:
    carol = Principal.of(approved.carol)
    request = RunRequest(runbook="group-add", parameters={"username": "carol", "group": "finance"})
    with pytest.raises(InvalidInput, match="dry-run"):
        executor.run(session, settings=settings, actor=carol, request=request)
    plan = executor.dry_run(session, settings=settings, actor=carol, request=request)
    with pytest.raises(InvalidInput, match="dry-run"):
        executor.run(session, settings=settings, actor=carol, request=RunRequest(
            runbook="group-add", parameters={"username": "bob", "group": "finance"}, dry_run_id=plan.id))


def test_a_dry_run_changes_nothing(session: Session, settings: Settings, approved: Desk, directory: LdapDirectory,
                                   ldap: LdapServer) -> None:
    plan = executor.dry_run(session, settings=settings, actor=Principal.of(approved.carol), request=RunRequest(
        runbook="group-remove", parameters={"username": "alice", "group": "vpn-users"}))
    assert plan.plan[0]["description"] == f"Remove {ldap.dn('alice')} from cn=vpn-users,ou=groups,{ldap.base_dn}."
    assert directory.find_group("vpn-users").has_member(ldap.dn("alice"))
