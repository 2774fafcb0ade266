"""Connection secrets stored by administrators are sealed with keys outside the database: the table holds no
password, every reader gets it back, a new key seals from its addition on while the old one still opens."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.cli import main
from deskpilot.config import Environment, Settings
from deskpilot.encryption_keys import Keyring, add_key, key_file
from deskpilot.errors import InvalidInput
from deskpilot.governance import connections, overrides
from deskpilot.governance.setting_models import SettingVersion
from tests.factories import make_desk

SMTP_SECRET = "SMTP-PASSWORD-MARKER-91c2"
IMAP_SECRET = "IMAP-PASSWORD-MARKER-5d0e"


def _stored(session: Session) -> str:
    return json.dumps([row for row in session.scalars(select(SettingVersion.value))])


def test_connection_passwords_are_sealed_in_the_database_and_survive_a_key_rotation(
        session: Session, tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("DESKPILOT_ENCRYPTION_KEYS")  # the key file of DATA_DIR, not the test key
    desk = make_desk(session)
    adam, settings = Principal.of(desk.adam), Settings(environment=Environment.TEST, data_dir=tmp_path)
    connections.change(session, actor=adam, settings=settings, group="smtp",
                       values={"mail_smtp_host": "smtp.example", "mail_smtp_password": SMTP_SECRET})
    connections.save_mailbox(session, actor=adam, settings=settings, values={
        "name": "it", "host": "imap.example", "port": "993", "username": "desk", "password": IMAP_SECRET})
    session.flush()
    assert SMTP_SECRET not in _stored(session) and IMAP_SECRET not in _stored(session)
    assert stat.S_IMODE(key_file(settings).stat().st_mode) == 0o600
    in_force = overrides.apply(session, settings)
    assert in_force.mail_smtp_password == SMTP_SECRET and in_force.mail_mailboxes[0].password == IMAP_SECRET

    assert add_key(settings) == "k2"
    connections.change(session, actor=adam, settings=settings, group="smtp",
                       values={"mail_smtp_password": SMTP_SECRET + "-new"})
    session.flush()
    assert '"enc:v1:k2:' in _stored(session) and '"enc:v1:k1:' in _stored(session)
    in_force = overrides.apply(session, settings)
    assert in_force.mail_smtp_password == SMTP_SECRET + "-new" and in_force.mail_mailboxes[0].password == IMAP_SECRET

    monkeypatch.setenv("DESKPILOT_DATABASE_URL", database_url)
    monkeypatch.setenv("DESKPILOT_DATA_DIR", str(tmp_path))
    session.commit()
    assert main(["privacy", "rotate-key"]) == 0
    assert "Sealed 3 stored setting versions again with k3" in capsys.readouterr().out
    session.expire_all()
    assert '"enc:v1:k1:' not in _stored(session) and '"enc:v1:k3:' in _stored(session)
    assert overrides.apply(session, settings).mail_mailboxes[0].password == IMAP_SECRET

    other_keys = Settings(environment=Environment.TEST, data_dir=tmp_path / "elsewhere")
    with pytest.raises(InvalidInput, match="sealed with key 'k3', which is not configured"):
        overrides.apply(session, other_keys)


def test_keys_from_the_environment_seal_and_a_wrong_key_is_named(tmp_path: Path) -> None:
    keys = {"2026": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}
    ring = Keyring.from_settings(Settings(environment=Environment.TEST, data_dir=tmp_path, encryption_keys=keys))
    sealed = ring.seal("s3cret")
    assert sealed.startswith("enc:v1:2026:") and ring.open(sealed) == "s3cret" and not key_file(
        Settings(environment=Environment.TEST, data_dir=tmp_path)).exists()
    wrong = Keyring(keys={"2026": b"x" * 32}, current="2026")
    with pytest.raises(InvalidInput, match="does not open: wrong key or altered value"):
        wrong.open(sealed)
    with pytest.raises(InvalidInput, match="32 bytes"):
        Keyring.from_settings(Settings(environment=Environment.TEST, data_dir=tmp_path,
                                       encryption_keys={"short": "c2hvcnQ="}))
