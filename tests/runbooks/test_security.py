"""Who may approve and run what, and inputs that try to escape their parameter."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.config import Settings
from deskpilot.errors import Conflict, InvalidInput, PermissionDenied
from deskpilot.runbooks import builtin, executor
from deskpilot.runbooks import service as definitions
from deskpilot.runbooks.enums import VersionStatus
from deskpilot.runbooks.executor import RunRequest
from deskpilot.runbooks.identity import LdapDirectory
from deskpilot.runbooks.models import RunbookRun, RunbookVersion
from tests.factories import Desk
from tests.runbooks.conftest import AUTHOR
from tests.runbooks.directory import OLD_PASSWORD


def _reset(username: object, version: int | None = None) -> RunRequest:
    return RunRequest(runbook="password-reset", parameters={"username": username, "new_password": "Xx-123456789a"},
                      version=version)


def test_high_risk_needs_two_distinct_approvers_and_never_the_author(session: Session, desk: Desk) -> None:
    lena, adam = Principal.of(desk.lena), Principal.of(desk.adam)
    text = builtin.sources()["password-reset"]
    draft = definitions.create(session, actor=adam, source=text)
    with pytest.raises(PermissionDenied, match="author"):
        definitions.approve(session, actor=adam, name="password-reset", version=1, reviewed_hash=draft.content_hash)
    with pytest.raises(PermissionDenied):
        definitions.approve(session, actor=Principal.of(desk.carol), name="password-reset", version=1,
                            reviewed_hash=draft.content_hash)
    with pytest.raises(Conflict, match="hash"):
        definitions.approve(session, actor=lena, name="password-reset", version=1, reviewed_hash="0" * 64)
    definitions.approve(session, actor=lena, name="password-reset", version=1, reviewed_hash=draft.content_hash)
    assert draft.status is VersionStatus.DRAFT
    with pytest.raises(Conflict, match="already"):
        definitions.approve(session, actor=lena, name="password-reset", version=1, reviewed_hash=draft.content_hash)


def test_an_unapproved_runbook_cannot_run(session: Session, settings: Settings, desk: Desk) -> None:
    definitions.create(session, actor=AUTHOR, source=builtin.sources()["password-reset"])
    with pytest.raises(PermissionDenied, match="approve"):
        executor.dry_run(session, settings=settings, actor=Principal.of(desk.carol), request=_reset("alice"))


def test_a_version_edited_after_approval_cannot_run(session: Session, settings: Settings, approved: Desk,
                                                    directory: LdapDirectory) -> None:
    carol = Principal.of(approved.carol)
    text = builtin.sources()["password-reset"].replace("Reset a directory password", "Reset a password")
    draft = definitions.edit(session, actor=AUTHOR, name="password-reset", source=text)
    assert (draft.version, draft.status) == (2, VersionStatus.DRAFT)
    with pytest.raises(PermissionDenied):
        executor.dry_run(session, settings=settings, actor=carol, request=_reset("alice", version=2))
    # Someone edits the approved text in the database directly: its hash no longer matches.
    session.execute(update(RunbookVersion).where(RunbookVersion.version == 1, RunbookVersion.runbook_id ==
                                                 draft.runbook_id).values(source=text))
    with pytest.raises(PermissionDenied, match="changed after it was approved"):
        executor.dry_run(session, settings=settings, actor=carol, request=_reset("alice"))
    assert directory.check_password(directory.find_user("alice"), OLD_PASSWORD)


@pytest.mark.parametrize("name", ["*", "alice*", "a)(uid=*", "alice)(|(uid=*", "ali\\2ace", "alice,ou=admins",
                                  "uid=admin-jane,ou=admins,dc=northwind,dc=example", "alice\x00", "admin jane",
                                  "", "alice\n", "ålice", 7])
def test_parameter_injection_is_rejected_before_the_directory_is_asked(session: Session, settings: Settings,
                                                                       approved: Desk, name: object) -> None:
    with pytest.raises(InvalidInput, match="username"):
        executor.dry_run(session, settings=settings, actor=Principal.of(approved.carol), request=_reset(name))
    assert session.scalar(select(func.count()).select_from(RunbookRun)) == 0


def test_requesters_and_auditors_cannot_run_runbooks(session: Session, settings: Settings, approved: Desk) -> None:
    for persona in (approved.alice, approved.audrey):
        with pytest.raises(PermissionDenied):
            executor.dry_run(session, settings=settings, actor=Principal.of(persona), request=_reset("alice"))


def test_a_secret_parameter_cannot_be_templated_into_a_visible_input(session: Session, desk: Desk) -> None:
    text = builtin.sources()["password-reset"].replace("requested (runbook run", "to {{ params.new_password }} (run")
    with pytest.raises(InvalidInput, match="secret"):
        definitions.create(session, actor=AUTHOR, source=text)


def test_a_changing_step_must_name_its_rollback(session: Session, desk: Desk) -> None:
    text = builtin.sources()["group-add"].replace("    rollback: ldap.remove_from_group\n", "")
    with pytest.raises(InvalidInput, match="rollback"):
        definitions.create(session, actor=AUTHOR, source=text)
    with pytest.raises(InvalidInput, match="shell"):
        definitions.create(session, actor=AUTHOR, source=text.replace("ldap.add_to_group", "shell.run"))
