"""`deskpilot runbooks unrecorded` and `recover`, through the command line's entry function."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.cli import main
from deskpilot.config import Settings
from deskpilot.runbooks.enums import RunStatus
from deskpilot.runbooks.identity import LdapDirectory
from deskpilot.runbooks.models import RunbookRun
from tests.factories import PASSWORD, Desk
from tests.runbooks.directory import LdapServer
from tests.runbooks.test_unrecorded_runs import run_then_lose


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    """The command line configured as the `settings` fixture is: same database, directory and data dir."""
    for name in ("database_url", "data_dir", "ldap_url", "ldap_base_dn", "ldap_bind_dn", "ldap_bind_password",
                 "ldap_group_base_dn", "environment", "password_time_cost", "password_memory_kib"):
        monkeypatch.setenv(f"DESKPILOT_{name.upper()}", str(getattr(settings, name)))


def test_unrecorded_lists_a_lost_run_and_recover_undoes_and_records_it(
        env: None, session: Session, settings: Settings, approved: Desk, directory: LdapDirectory, ldap: LdapServer,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    run_then_lose(session, settings, Principal.of(approved.carol), "group-add", username="bob", group="vpn-users")
    session.close()  # the command line's own connection must not wait on this one (SQLite)

    assert main(["runbooks", "unrecorded"]) == 1
    out = capsys.readouterr().out
    assert "1 run(s) changed something outside the database" in out
    assert "group-add v1 on ldap-user:bob by carol" in out and "no run in the database" in out
    assert 'undo: ldap.remove_from_group {"group": "vpn-users", "user": "bob"}' in out
    assert "deskpilot runbooks recover TOKEN --undo" in out

    assert main(["runbooks", "unrecorded", "--json"]) == 1
    listed = json.loads(capsys.readouterr().out)
    [lost] = listed["runs"]
    assert listed["problems"] == [] and lost["steps"][0]["undo"] == {"user": "bob", "group": "vpn-users"}
    token = lost["token"]

    monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSWORD}\n{PASSWORD}\n"))  # --as proves who acts
    assert main(["runbooks", "recover", token[:10], "--undo", "--as", "carol", "--password-stdin"]) == 2
    assert "may not do this (runbook:rollback)" in capsys.readouterr().err
    assert main(["runbooks", "recover", token[:10], "--undo", "--as", "lena", "--password-stdin"]) == 0
    assert "rolled_back" in capsys.readouterr().out
    assert not directory.find_group("vpn-users").has_member(ldap.dn("bob"))
    recorded = session.scalar(select(RunbookRun).where(RunbookRun.journal_token == token))
    assert recorded is not None and recorded.status is RunStatus.ROLLED_BACK

    assert main(["runbooks", "unrecorded"]) == 0
    assert "No unrecorded runs" in capsys.readouterr().out
    assert main(["runbooks", "recover", token]) == 2
    assert f"on the record as run #{recorded.id}" in capsys.readouterr().err


def test_recover_without_undo_keeps_the_change_and_says_how_to_roll_it_back(
        env: None, session: Session, settings: Settings, approved: Desk, directory: LdapDirectory, ldap: LdapServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    lost = run_then_lose(session, settings, Principal.of(approved.carol), "group-add", username="bob",
                         group="finance")
    token = str(lost.journal_token)
    session.close()
    assert main(["runbooks", "recover", token]) == 0
    out = capsys.readouterr().out
    assert "recovered" in out and "--as LEAD` undoes them" in out
    assert directory.find_group("finance").has_member(ldap.dn("bob"))


def test_unrecorded_warns_about_an_unreadable_line_and_still_lists(
        env: None, session: Session, settings: Settings, approved: Desk, ldap: LdapServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    del ldap
    run_then_lose(session, settings, Principal.of(approved.carol), "group-add", username="bob", group="vpn-users")
    session.close()
    with settings.runbook_journal_path.open("ab") as journal:
        journal.write(b'{"event": "run.fini')
    assert main(["runbooks", "unrecorded"]) == 1
    captured = capsys.readouterr()
    assert "line 5: cut short" in captured.err and "the other entries were read" in captured.err
    assert "group-add v1 on ldap-user:bob" in captured.out
    assert main(["runbooks", "recover", "abc"]) == 2
    assert "at least 6 characters" in capsys.readouterr().err
