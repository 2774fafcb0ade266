"""Mail and directory connections changed by an administrator: validated, versioned and audited with secrets
never shown back, and a connection test that really signs in to SMTP, Dovecot (IMAP) and slapd (LDAP)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.principal import Principal
from deskpilot.audit import service as audit
from deskpilot.channels.email.checks import check_imap, check_smtp
from deskpilot.config import Environment, Settings
from deskpilot.errors import InvalidInput, PermissionDenied
from deskpilot.governance import connections
from deskpilot.runbooks.directory_check import check_ldap
from tests.channels.email.conftest import IMAP_PASSWORD, IMAP_USER, Dovecot, dovecot  # noqa: F401 - fixture
from tests.factories import SYSTEM, Desk, make_desk
from tests.governance.connection_servers import SMTP_PASSWORD, SMTP_USER, smtp_with_login  # noqa: F401 - fixture
from tests.live_server import _free_port, live_server  # noqa: F401 - fixture of these tests
from tests.runbooks.directory import SERVICE_DN, SERVICE_PW, SUFFIX, LdapServer, run_slapd


@pytest.fixture
def desk(session: Session) -> Desk:
    desk = make_desk(session)
    session.commit()
    return desk


@pytest.fixture
def slapd(tmp_path: Path) -> Iterator[LdapServer]:
    yield from run_slapd(tmp_path)


def _settings(tmp_path: Path) -> Settings:
    return Settings(environment=Environment.TEST, data_dir=tmp_path)


def test_smtp_is_saved_with_a_write_only_password_and_the_test_signs_in(
        session: Session, desk: Desk, smtp_with_login: int, tmp_path: Path) -> None:  # noqa: F811
    adam, settings = Principal.of(desk.adam), _settings(tmp_path)
    typed = {"mail_smtp_host": "127.0.0.1", "mail_smtp_port": str(smtp_with_login), "mail_smtp_username": SMTP_USER,
             "mail_smtp_password": "wrong-password"}
    wrong = check_smtp(connections.trial(session, actor=adam, settings=settings, group="smtp", values=typed))
    assert not wrong.ok and "refused the sign-in: 535" in wrong.summary and "password" in wrong.advice
    right = check_smtp(connections.trial(session, actor=adam, settings=settings, group="smtp",
                                         values=typed | {"mail_smtp_password": SMTP_PASSWORD}))
    assert right.ok and f"signed in as {SMTP_USER}" in right.summary
    with pytest.raises(InvalidInput, match="mail_smtp_port: Input should be less than or equal to 65535"):
        connections.change(session, actor=adam, settings=settings, group="smtp", values=typed | {
            "mail_smtp_port": "99999"})
    with pytest.raises(PermissionDenied):
        connections.change(session, actor=Principal.of(desk.lena), settings=settings, group="smtp", values=typed)

    changed = connections.change(session, actor=adam, settings=settings, group="smtp",
                                 values=typed | {"mail_smtp_password": SMTP_PASSWORD}, reason="new relay")
    assert sorted(changed) == ["mail_smtp_host", "mail_smtp_password", "mail_smtp_port", "mail_smtp_username"]
    session.commit()
    shown = {f.name: f for f in connections.listing(session, actor=adam, settings=settings, group="smtp")}
    assert (shown["mail_smtp_password"].value, shown["mail_smtp_password"].source) == (True, "admin")
    assert shown["mail_smtp_port"].value == smtp_with_login and shown["mail_smtp_starttls"].source == "default"
    # A blank password keeps the stored one: the saved settings still sign in.
    connections.change(session, actor=adam, settings=settings, group="smtp", values={"mail_smtp_password": ""})
    assert check_smtp(connections.in_force(session, settings)).ok
    events = audit.get_all(session, action="connection.changed")[0]
    secret = next(e for e in events if e.subject_id == "mail_smtp_password")
    assert secret.after["value"] == "(set)" and SMTP_PASSWORD not in str([e.after for e in events])


def test_a_mailbox_is_added_tested_against_dovecot_and_removed(session: Session, desk: Desk, dovecot: Dovecot,  # noqa: F811
                                                                tmp_path: Path) -> None:
    adam, settings = Principal.of(desk.adam), _settings(tmp_path)
    typed = {"name": "support", "host": dovecot.host, "port": str(dovecot.port), "username": IMAP_USER,
             "password": "not-it", "folder": "INBOX", "ssl": "false"}
    wrong = check_imap(connections.trial_mailbox(session, actor=adam, settings=settings, values=typed))
    assert not wrong.ok and "support" in wrong.summary and "user name and password" in wrong.advice
    connections.save_mailbox(session, actor=adam, settings=settings, values=typed | {"password": IMAP_PASSWORD})
    boxes, source = connections.mailboxes(session, actor=adam, settings=settings)
    assert source == "admin" and boxes[0]["password"] is True and boxes[0]["port"] == dovecot.port
    kept = connections.trial_mailbox(session, actor=adam, settings=settings, values=typed | {"password": ""})
    assert check_imap(kept).ok  # the stored password
    missing = check_imap(connections.trial_mailbox(session, actor=adam, settings=settings,
                                                   values=typed | {"password": "", "folder": "Nowhere"}))
    assert not missing.ok and "Nowhere" in missing.summary and "folder" in missing.advice
    with pytest.raises(InvalidInput, match="Mailbox support: port"):
        connections.save_mailbox(session, actor=adam, settings=settings, values=typed | {"port": "imap"})
    connections.remove_mailbox(session, actor=adam, settings=settings, name="support")
    assert connections.mailboxes(session, actor=adam, settings=settings)[0] == []


def test_the_directory_test_binds_and_searches_slapd(session: Session, desk: Desk, slapd: LdapServer,
                                                     tmp_path: Path) -> None:
    adam, settings = Principal.of(desk.adam), _settings(tmp_path)
    typed = {"ldap_url": slapd.url, "ldap_base_dn": SUFFIX, "ldap_bind_dn": SERVICE_DN,
             "ldap_bind_password": SERVICE_PW}
    good = check_ldap(connections.trial(session, actor=adam, settings=settings, group="ldap", values=typed))
    assert good.ok and SERVICE_DN in good.summary
    refused = check_ldap(connections.trial(session, actor=adam, settings=settings, group="ldap",
                                           values=typed | {"ldap_bind_password": "guess"}))
    assert not refused.ok and "refused the service account bind" in refused.summary
    nowhere = check_ldap(connections.trial(session, actor=adam, settings=settings, group="ldap",
                                           values=typed | {"ldap_url": f"ldap://127.0.0.1:{_free_port()}",
                                                           "ldap_timeout_seconds": "2"}))
    assert not nowhere.ok and "unreachable" in nowhere.summary and "firewall" in nowhere.advice
    wrong_base = check_ldap(connections.trial(session, actor=adam, settings=settings, group="ldap",
                                              values=typed | {"ldap_base_dn": "dc=elsewhere,dc=example"}))
    assert not wrong_base.ok and "base DN" in wrong_base.advice


def test_the_connections_api_never_returns_a_secret_and_tests_for_admins_only(
        session: Session, desk: Desk, live_server: str, smtp_with_login: int) -> None:  # noqa: F811
    tokens = {}
    for user in (desk.adam, desk.lena):
        _, tokens[user.username] = accounts.issue_token(session, actor=SYSTEM, user_id=user.id, name="test")
    session.commit()
    adam = {"Authorization": f"Bearer {tokens['adam']}"}
    api = f"{live_server}/api/v1/admin/connections"
    typed = {"mail_smtp_host": "127.0.0.1", "mail_smtp_port": str(smtp_with_login), "mail_smtp_username": SMTP_USER,
             "mail_smtp_password": SMTP_PASSWORD}
    saved = httpx.put(f"{api}/smtp", headers=adam, json={"values": typed, "reason": "relay"}, timeout=30)
    assert saved.status_code == 200 and SMTP_PASSWORD not in saved.text
    assert {f["name"]: f["value"] for f in saved.json()["smtp"]}["mail_smtp_password"] is True
    wrong = httpx.post(f"{api}/smtp/test", headers=adam, timeout=30,
                       json={"values": {"mail_smtp_password": "nope"}}).json()
    assert wrong["ok"] is False and "535" in wrong["summary"]
    right = httpx.post(f"{api}/smtp/test", headers=adam, json={"values": {}}, timeout=30).json()
    assert right["ok"] is True
    garbage = httpx.post(f"{api}/ldap/test", headers=adam, timeout=30,
                         json={"values": {"ldap_url": "ftp:// nowhere", "ldap_base_dn": "dc=x"}})
    assert garbage.status_code == 200 and garbage.json()["ok"] is False
    odd_host = httpx.post(f"{api}/smtp/test", headers=adam, timeout=30,
                          json={"values": {"mail_smtp_host": "h\u00f6st..x"}})
    assert odd_host.status_code == 200 and odd_host.json()["ok"] is False
    bad = httpx.put(f"{api}/smtp", headers=adam, json={"values": {"mail_smtp_port": "0"}}, timeout=30)
    assert bad.status_code == 422
    lena = {"Authorization": f"Bearer {tokens['lena']}"}
    assert httpx.get(api, headers=lena, timeout=30).status_code == 403
    assert httpx.post(f"{api}/smtp/test", headers=lena, json={"values": {}}, timeout=30).status_code == 403
    assert SMTP_PASSWORD not in httpx.get(api, headers=adam, timeout=30).text
