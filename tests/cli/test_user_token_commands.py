"""`deskpilot users token|tokens|revoke-token|deactivate|activate`: expiring tokens and ended access from the CLI."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from deskpilot.accounts import service as accounts
from deskpilot.accounts.enums import Role
from deskpilot.accounts.models import User
from deskpilot.cli import main
from tests.factories import SYSTEM, make_user


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str, session: Session) -> None:
    del session  # the fixture empties the database first
    monkeypatch.setenv("DESKPILOT_DATABASE_URL", database_url)
    monkeypatch.setenv("DESKPILOT_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("DESKPILOT_PASSWORD_MEMORY_KIB", "64")


def _user(session: Session, username: str) -> User:
    session.expire_all()
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None
    return user


def test_cli_tokens_are_named_expire_and_can_be_listed_and_revoked(env: None, session: Session,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    make_user(session, "erin", Role.AGENT)
    session.commit()
    assert main(["users", "token", "erin", "--name", "nightly export", "--expires-in-days", "7"]) == 0
    secret = capsys.readouterr().out.strip().splitlines()[-1]
    assert accounts.user_for_token(session, token=secret) is not None
    session.commit()  # it stamped the token's last use; release the write for the commands below
    assert main(["users", "tokens", "erin"]) == 0
    listing = capsys.readouterr().out
    assert "nightly export" in listing and "active" in listing
    token_id = accounts.get_tokens(session, actor=SYSTEM, user_id=_user(session, "erin").id)[0].id
    session.commit()
    assert main(["users", "revoke-token", "erin", str(token_id)]) == 0
    session.expire_all()
    assert accounts.user_for_token(session, token=secret) is None
    capsys.readouterr()
    assert main(["users", "tokens", "erin"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["users", "token", "erin", "--expires-in-days", "400"]) == 2
    assert "1 to 365 days" in capsys.readouterr().err


def test_cli_deactivation_revokes_tokens_and_refuses_the_last_admin(env: None, session: Session,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    make_user(session, "erin", Role.AGENT)
    make_user(session, "root", Role.ADMIN)
    session.commit()
    assert main(["users", "token", "erin"]) == 0
    secret = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["users", "deactivate", "erin"]) == 0
    assert main(["users", "activate", "erin"]) == 0
    session.expire_all()
    assert _user(session, "erin").is_active and accounts.user_for_token(session, token=secret) is None
    assert main(["users", "deactivate", "root"]) == 2
    assert "last active administrator" in capsys.readouterr().err
    assert _user(session, "root").is_active
