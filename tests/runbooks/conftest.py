"""A real slapd per test (fresh directory), settings pointing at it, and the built-in runbooks approved."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.config import Environment, Settings
from deskpilot.runbooks import builtin
from deskpilot.runbooks import service as definitions
from deskpilot.runbooks.identity import LdapDirectory
from tests.factories import Desk, make_desk
from tests.runbooks.directory import SERVICE_DN, SERVICE_PW, SUFFIX, LdapServer, run_slapd
from tests.runbooks.mail_sink import Sink, sink  # noqa: F401 - fixture of the tests in this folder

AUTHOR = Principal.system("runbook-author")


@pytest.fixture
def ldap(tmp_path: Path) -> Iterator[LdapServer]:
    yield from run_slapd(tmp_path)


@pytest.fixture
def settings(database_url: str, ldap: LdapServer, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, environment=Environment.TEST, data_dir=tmp_path / "var",
                    ldap_url=ldap.url, ldap_base_dn=SUFFIX, ldap_bind_dn=SERVICE_DN, ldap_bind_password=SERVICE_PW,
                    ldap_group_base_dn=f"ou=groups,{SUFFIX}", password_time_cost=1, password_memory_kib=64)


@pytest.fixture
def mail_settings(settings: Settings, sink: tuple[Sink, int]) -> Settings:  # noqa: F811 - the fixture above
    """The settings with the SMTP sink as the mail server the one-time codes go to."""
    return settings.model_copy(update={"mail_smtp_host": "127.0.0.1", "mail_smtp_port": sink[1]})


@pytest.fixture
def directory(settings: Settings) -> Iterator[LdapDirectory]:
    opened = LdapDirectory(settings)
    yield opened
    opened.close()


@pytest.fixture
def desk(session: Session) -> Desk:
    desk = make_desk(session)
    session.commit()
    return desk


def approve_builtins(session: Session, desk: Desk) -> None:
    """Install the shipped runbooks (authored by the system) and approve them as lena and adam."""
    for version in builtin.install(session, actor=AUTHOR):
        name = _name(session, version.runbook_id)
        for approver in (desk.lena, desk.adam):
            if version.status == "draft":
                definitions.approve(session, actor=Principal.of(approver), name=name, version=version.version,
                                    reviewed_hash=version.content_hash)
    session.commit()


def _name(session: Session, runbook_id: int) -> str:
    return next(r.name for r in definitions.get_all(session) if r.id == runbook_id)


@pytest.fixture
def approved(session: Session, desk: Desk) -> Desk:
    approve_builtins(session, desk)
    return desk


@pytest.fixture
def own_settings(database_url: str, tmp_path: Path) -> Settings:
    """No LDAP directory and no SMTP server: the desk of `make demo`."""
    return Settings(database_url=database_url, environment=Environment.TEST, data_dir=tmp_path / "var",
                    password_time_cost=1, password_memory_kib=64)


def last_code(settings: Settings) -> str:
    """The one-time code in the newest mail of the mail drop (what the person reads in their mailbox)."""
    newest = sorted(settings.mail_drop_dir.glob("*.eml"))[-1]
    message = email.message_from_bytes(newest.read_bytes())
    found = re.search(r"\b(\d{6})\b", str(message.get_payload(decode=True), "utf-8"))
    assert found is not None
    return found.group(1)
