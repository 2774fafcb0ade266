"""Directory sync against a real OpenLDAP (slapd), on both databases: people become accounts with role and team
from their groups, and someone removed from the directory is deactivated with their sessions and tokens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.directory_sync import DirectoryPerson, sync
from deskpilot.accounts.models import Role, User
from deskpilot.cli import main
from tests.factories import SYSTEM, make_desk
from tests.runbooks.directory import SERVICE_DN, SERVICE_PW, SUFFIX, LdapServer, run_slapd

ROLES = '{"domain-admins": "admin", "finance": "agent"}'
TEAMS = '{"finance": "Service Desk"}'


@pytest.fixture
def ldap(tmp_path: Path) -> Iterator[LdapServer]:
    yield from run_slapd(tmp_path)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str, ldap: LdapServer, tmp_path: Path) -> None:
    for name, value in {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path / "var"), "LDAP_URL": ldap.url,
                        "LDAP_BASE_DN": SUFFIX, "LDAP_BIND_DN": SERVICE_DN, "LDAP_BIND_PASSWORD": SERVICE_PW,
                        "LDAP_GROUP_BASE_DN": f"ou=groups,{SUFFIX}", "LDAP_SYNC_ROLE_GROUPS": ROLES,
                        "LDAP_SYNC_TEAM_GROUPS": TEAMS}.items():
        monkeypatch.setenv(f"DESKPILOT_{name}", value)


def _user(session: Session, email: str) -> User:
    session.commit()  # a fresh snapshot: the command committed in its own connection
    session.expire_all()
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None, email
    return user


def test_the_directory_makes_and_aligns_accounts_and_a_removed_person_loses_access(
        env: None, session: Session, ldap: LdapServer, capsys: pytest.CaptureFixture[str]) -> None:
    desk = make_desk(session)
    _, bobs_token = accounts.issue_token(session, actor=SYSTEM, user_id=desk.bob.id, name="laptop")
    session.commit()

    assert main(["directory", "sync", "--dry-run"]) == 0
    assert "nothing was changed (dry run)" in capsys.readouterr().out
    assert session.scalar(select(User).where(User.email == "admin-jane@northwind.example")) is None

    assert main(["directory", "sync"]) == 0
    printed = capsys.readouterr().out
    assert "4 people in the directory" in printed and "created (1): admin-jane" in printed
    jane, bob = _user(session, "admin-jane@northwind.example"), _user(session, "bob@northwind.example")
    assert jane.role is Role.ADMIN and jane.directory_dn == ldap.dn("admin-jane")
    assert bob.id == desk.bob.id and bob.role is Role.AGENT and [t.name for t in bob.teams] == ["Service Desk"]
    assert _user(session, "carol@northwind.example").role is Role.REQUESTER, "no mapped group: requester"
    session.commit()

    ldap.delete(ldap.dn("bob"))
    assert main(["directory", "sync"]) == 0
    assert "deactivated (1): bob" in capsys.readouterr().out
    assert not _user(session, "bob@northwind.example").is_active
    assert accounts.user_for_token(session, token=bobs_token) is None, "his API token stopped working"
    assert _user(session, "adam@northwind.example").is_active, "a local account is never the directory's to end"
    session.commit()
    assert main(["directory", "sync"]) == 0
    assert "0 created, 0 updated, 0 deactivated" in capsys.readouterr().out, "a second run changes nothing"


def test_a_person_the_directory_disables_is_deactivated_and_one_without_email_is_skipped(session: Session) -> None:
    desk = make_desk(session)
    people = [DirectoryPerson(dn="uid=alice,ou=people,dc=x", username="alice", email="alice@northwind.example",
                              full_name="Alice", groups=[], disabled=True),
              DirectoryPerson(dn="uid=ghost,ou=people,dc=x", username="ghost", email="", full_name="Ghost", groups=[])]
    report = sync(session, people=people, role_groups={}, team_groups={})
    assert report.deactivated == ["alice"] and report.skipped == ["uid=ghost,ou=people,dc=x: no e-mail address"]
    assert not desk.alice.is_active
